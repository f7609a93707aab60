import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { Omittable } from '../../../http/field-rules';
import { IsId, nameMaxLength } from '../../../http/ids';
import { CommandAcceptedDto } from '../../../commands/dto/command-accepted.dto';
import { ReasonDto } from '../../../commands/dto/common.dto';

/** Longest drain URL accepted: it is recorded in the team's events and audit entries. */
export const drainUrlMaxLength = 2048;

/** An HTTP header value Node sends as it is: printable ASCII, no line break (else no delivery could carry it). */
export const drainAuthorizationPattern = /^[\x21-\x7e][\x20-\x7e]*$/;

export class AddAuditDrainDto extends ReasonDto {
  @ApiProperty({
    example: 'https://siem.example.com/ingest/access-audit',
    maxLength: drainUrlMaxLength,
    description:
      'Where batches are POSTed: https:// (plain http:// only for a host in DRAIN_ALLOW_HOSTS), never to a loopback, private, link-local or metadata address; no credentials in it (it is recorded)',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(drainUrlMaxLength)
  url!: string;

  @ApiPropertyOptional({ example: 'Splunk HEC', maxLength: nameMaxLength })
  @Omittable()
  @IsString()
  @MaxLength(nameMaxLength)
  description?: string;

  @ApiPropertyOptional({
    example: 'Splunk 1b7c9f0e',
    maxLength: 4096,
    pattern: drainAuthorizationPattern.source,
    writeOnly: true,
    description:
      "Sent as each delivery's Authorization header (a collector token); kept encrypted beside the signing secret, never in the log, never shown again",
  })
  @Omittable()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  @Matches(drainAuthorizationPattern, {
    message: 'authorization must be printable ASCII on one line (it is sent as an HTTP header value)',
  })
  authorization?: string;
}

export class AuditDrainParams {
  @IsId('Team id', 'acme')
  teamId!: string;

  @IsId('Drain id', 'drn_4f0c…')
  drainId!: string;
}

/** API.md "Audit log drains": the drain's id and its signing secret, shown this once. */
export class AuditDrainAddedDto extends CommandAcceptedDto {
  @ApiProperty({ example: 'drn_4f0c…' })
  drainId!: string;

  @ApiProperty({
    description:
      'The HMAC-SHA256 key of X-Access-Audit-Signature; shown once, kept only encrypted (AES-256-GCM) outside the log',
  })
  secret!: string;
}

export class AuditDrainStatusDto {
  @ApiProperty({ example: 'drn_4f0c…' }) drainId!: string;
  @ApiProperty({ example: 'https://siem.example.com/ingest/access-audit' }) url!: string;
  @ApiPropertyOptional({ example: 'Splunk HEC' }) description?: string;
  @ApiProperty({
    enum: ['active', 'paused', 'failing'],
    description: 'failing: deliveries are being retried; paused: failing past the pause bound (24 h), resume it',
  })
  status!: 'active' | 'paused' | 'failing';
  @ApiProperty({ example: 42, description: 'Sequence of the last entry the receiver acknowledged (0: none yet)' })
  deliveredThrough!: number;
  @ApiProperty({ example: 0, description: 'Entries appended and not yet acknowledged' })
  lagEntries!: number;
  @ApiProperty({ example: 0.4, description: 'Seconds the oldest record not yet acknowledged has waited' })
  lagSeconds!: number;
  @ApiPropertyOptional({ example: 'HTTP 503 Service Unavailable' }) lastError?: string;
  @ApiPropertyOptional({ format: 'date-time' }) lastDeliveryAt?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When the current run of failures began' })
  failingSince?: string;
  @ApiPropertyOptional({ format: 'date-time' }) pausedAt?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When the next retry is due' }) nextAttemptAt?: string;
}

export class AuditDrainListDto {
  @ApiProperty({ example: 'acme' }) teamId!: string;
  @ApiProperty({ type: [AuditDrainStatusDto] }) drains!: AuditDrainStatusDto[];
}
