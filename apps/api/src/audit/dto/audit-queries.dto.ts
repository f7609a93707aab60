import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { FromDecimalDigits, Omittable } from '../../http/field-rules';
import { IsOptionalId } from '../../http/ids';
import { IsInstant } from '../../queries/dto/queries.dto';

const positionMaxLength = 200;

export class AuditReadOptionsDto {
  @ApiPropertyOptional({
    description:
      "Wait (up to 5 s) until the audit entries of every event up to this position (a command answer's `position`) are indexed; else 503 with Retry-After",
    example: '42',
    maxLength: positionMaxLength,
  })
  @Omittable()
  @IsString()
  @MaxLength(positionMaxLength)
  minPosition?: string;
}

export class AuditWindowDto extends AuditReadOptionsDto {
  @ApiPropertyOptional({ description: 'Entries at or after this ISO-8601 instant', example: '2026-01-01T00:00:00Z' })
  @Omittable()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'Entries at or before this ISO-8601 instant', example: '2026-03-31T23:59:59Z' })
  @Omittable()
  @IsInstant()
  to?: string;
}

export const auditAnswerFormats = ['json', 'ndjson', 'csv'] as const;
export type AuditAnswerFormat = (typeof auditAnswerFormats)[number];

export class AuditQueryDto extends AuditWindowDto {
  @IsOptionalId('Entries whose actor is this user', 'alice')
  actor?: string;

  @IsOptionalId('Entries about this user (the target of the change or of the attempt)', 'bob')
  subject?: string;

  @IsOptionalId('Entries about this project', 'web')
  projectId?: string;

  @ApiPropertyOptional({
    description:
      'An action (`team.member.role.updated`, `access.denied`) or a dotted prefix of actions (`team.member`, `project.security`)',
    example: 'team.member',
  })
  @Omittable()
  @IsString()
  @MaxLength(200)
  @Matches(/^[a-z_]+(\.[a-z_]+)*$/, {
    message: '$property must be a dotted action name such as team.member.role.updated',
  })
  type?: string;

  @ApiPropertyOptional({ description: '`nextCursor` of the previous page (JSON only)' })
  @Omittable()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ description: 'Page size (JSON only)', default: 100, minimum: 1, maximum: 1000 })
  @Omittable()
  @FromDecimalDigits()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({
    enum: auditAnswerFormats,
    default: 'json',
    description:
      '`json`: cursor pages. `ndjson` / `csv`: the whole selection, streamed. An unfiltered `ndjson` export is the whole chain with its signed checkpoints (the last one signed for the export): `npm run audit:verify` checks it offline',
  })
  @Omittable()
  @IsIn(auditAnswerFormats)
  format?: AuditAnswerFormat;
}
