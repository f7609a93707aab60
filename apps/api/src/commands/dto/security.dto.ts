import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { Omittable } from '../../http/field-rules';
import { vercelAuthenticationScopes, type SecurityChange, type VercelAuthenticationScope } from '@access-audit/domain';
import { IsId, idMaxLength, idPattern } from '../../http/ids';
import { ReasonDto } from './common.dto';
import { ProjectParams } from './projects.dto';

const maxListSize = 100;
const cidrMaxLength = 64;
const pathMaxLength = 256;
const fingerprintMaxLength = 256;
const noteMaxLength = 500;
// Far beyond any real rate limit, and a safe integer: 1e308 or 2^53+2 is a mistake, not a limit.
const rateLimitMax = 1_000_000_000;

export class FirewallDto {
  @ApiProperty({ example: true })
  @IsBoolean()
  enabled!: boolean;
}

export class IpBlocksDto {
  @ApiPropertyOptional({ type: [String], example: ['203.0.113.0/24'], description: 'IPv4 or IPv6 CIDRs to block' })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(maxListSize)
  @IsString({ each: true })
  @MaxLength(cidrMaxLength, { each: true })
  add?: string[];

  @ApiPropertyOptional({ type: [String], example: ['198.51.100.0/24'] })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(maxListSize)
  @IsString({ each: true })
  @MaxLength(cidrMaxLength, { each: true })
  remove?: string[];
}

export class RateLimitRuleDto {
  @IsId('Rule id', 'api-burst')
  id!: string;

  @ApiProperty({ example: '/api/*', maxLength: pathMaxLength })
  @IsString()
  @MaxLength(pathMaxLength)
  path!: string;

  @ApiProperty({ example: 100, description: 'Requests allowed per window (positive integer)' })
  @IsInt()
  @Min(1)
  @Max(rateLimitMax)
  limit!: number;

  @ApiProperty({ example: 60, description: 'Window length, 1 to 86400 seconds' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  windowSeconds!: number;
}

export class RateLimitRulesDto {
  @ApiPropertyOptional({ type: [RateLimitRuleDto] })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(maxListSize)
  @ValidateNested({ each: true })
  @Type(() => RateLimitRuleDto)
  set?: RateLimitRuleDto[];

  @ApiPropertyOptional({ type: [String], example: ['api-burst'], description: 'Rule ids to remove' })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(maxListSize)
  @IsString({ each: true })
  @MaxLength(idMaxLength, { each: true })
  @Matches(idPattern, { each: true, message: 'each value in $property must be a rule id' })
  remove?: string[];
}

/** No password is ever sent: only whether protection is on, and that the platform rotated the password. */
export class PasswordProtectionDto {
  @ApiProperty({ example: true })
  @IsBoolean()
  enabled!: boolean;

  @ApiPropertyOptional({
    example: false,
    description: 'The platform replaced the password (its value is never sent or stored)',
  })
  @Omittable()
  @IsBoolean()
  rotated?: boolean;
}

export class DeploymentProtectionDto {
  @ApiPropertyOptional({ enum: vercelAuthenticationScopes, example: 'all' })
  @Omittable()
  @IsIn(vercelAuthenticationScopes)
  vercelAuthentication?: VercelAuthenticationScope;

  @ApiPropertyOptional({ type: PasswordProtectionDto })
  @Omittable()
  @ValidateNested()
  @Type(() => PasswordProtectionDto)
  passwordProtection?: PasswordProtectionDto;
}

export class ChangeProjectSecurityDto extends ReasonDto {
  @ApiPropertyOptional({ type: FirewallDto })
  @Omittable()
  @ValidateNested()
  @Type(() => FirewallDto)
  firewall?: FirewallDto;

  @ApiPropertyOptional({ type: IpBlocksDto })
  @Omittable()
  @ValidateNested()
  @Type(() => IpBlocksDto)
  ipBlocks?: IpBlocksDto;

  @ApiPropertyOptional({ type: RateLimitRulesDto })
  @Omittable()
  @ValidateNested()
  @Type(() => RateLimitRulesDto)
  rateLimitRules?: RateLimitRulesDto;

  @ApiPropertyOptional({ type: DeploymentProtectionDto })
  @Omittable()
  @ValidateNested()
  @Type(() => DeploymentProtectionDto)
  deploymentProtection?: DeploymentProtectionDto;
}

/**
 * The body's settings as the domain's change list, in the order API.md lists them: firewall, IP blocks (add, remove),
 * rate-limit rules (set, remove), Vercel Authentication, password protection, password rotation.
 */
export function securityChangesOf(body: ChangeProjectSecurityDto): SecurityChange[] {
  const changes: SecurityChange[] = [];
  if (body.firewall) changes.push({ setting: 'firewall', enabled: body.firewall.enabled });
  for (const cidr of body.ipBlocks?.add ?? []) changes.push({ setting: 'ipBlock.add', cidr });
  for (const cidr of body.ipBlocks?.remove ?? []) changes.push({ setting: 'ipBlock.remove', cidr });
  for (const rule of body.rateLimitRules?.set ?? []) {
    changes.push({
      setting: 'rateLimitRule.set',
      rule: { id: rule.id, path: rule.path, limit: rule.limit, windowSeconds: rule.windowSeconds },
    });
  }
  for (const ruleId of body.rateLimitRules?.remove ?? []) changes.push({ setting: 'rateLimitRule.remove', ruleId });
  const protection = body.deploymentProtection;
  if (protection?.vercelAuthentication !== undefined) {
    changes.push({ setting: 'vercelAuthentication', scope: protection.vercelAuthentication });
  }
  if (protection?.passwordProtection) {
    changes.push({ setting: 'passwordProtection', enabled: protection.passwordProtection.enabled });
    if (protection.passwordProtection.rotated === true) changes.push({ setting: 'passwordProtection.rotate' });
  }
  return changes;
}

export class BypassTokenParams extends ProjectParams {
  @IsId('Bypass token id (as the platform named it)', 'tok_123')
  tokenId!: string;
}

/** Records a bypass token the platform minted: its id and an optional fingerprint, never the token itself. */
export class RecordBypassTokenDto extends ReasonDto {
  @IsId('Bypass token id (as the platform named it)', 'tok_123')
  tokenId!: string;

  @ApiPropertyOptional({ example: 'sha256:9f86d081…', maxLength: fingerprintMaxLength })
  @Omittable()
  @IsString()
  @MaxLength(fingerprintMaxLength)
  fingerprint?: string;

  @ApiPropertyOptional({ example: 'CI end-to-end tests', maxLength: noteMaxLength })
  @Omittable()
  @IsString()
  @MaxLength(noteMaxLength)
  note?: string;
}
