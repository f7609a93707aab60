import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsISO8601, isISO8601, IsString, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { FromDecimalDigits, Omittable } from '../../http/field-rules';
import { permissions, type Permission } from '@access-audit/domain';
import { instantMs } from '@access-audit/team-stream';
import { IsId, IsOptionalId } from '../../http/ids';

const positionMaxLength = 200;
const iso8601 = { strict: true, strictSeparator: true };
// A date-time without a zone would be read in the server's local time: it names no single instant.
const zoned = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

/**
 * An ISO-8601 instant: a full date, or a date and time. Week dates, ordinal dates, bare months and the basic format are
 * ISO-8601 too, but have no place on the time line here; they are refused rather than answered as now.
 */
export const IsInstant = (options: Parameters<typeof isISO8601>[1] = iso8601): PropertyDecorator =>
  applyDecorators(
    IsISO8601(options),
    ValidateBy({
      name: 'isInstant',
      validator: {
        // Values that are not ISO-8601 at all are IsISO8601's to refuse: one error per value.
        validate: (value: unknown) =>
          typeof value !== 'string' ||
          !isISO8601(value, options) ||
          (instantMs(value) !== undefined && (!value.includes('T') || zoned.test(value))),
        defaultMessage: () =>
          '$property must be an ISO-8601 date or a date-time with its zone (Z or ±hh:mm), such as 2026-03-03T09:00:00Z',
      },
    }),
  );

/** `minPosition`, accepted by every query of the read models. */
export class MinPositionDto {
  @ApiPropertyOptional({
    description:
      "Wait (up to 5 s) until the read models include everything up to this position (a command answer's `position`); else 503 with Retry-After",
    example: '42',
    maxLength: positionMaxLength,
  })
  @Omittable()
  @IsString()
  @MaxLength(positionMaxLength)
  minPosition?: string;
}

/** `minPosition` and `at`, accepted by every query that can answer as things were at an instant. */
export class ReadOptionsDto extends MinPositionDto {
  @ApiPropertyOptional({
    description: 'Answer as things were at this ISO-8601 instant',
    example: '2025-03-03T12:00:00Z',
  })
  @Omittable()
  @IsInstant()
  at?: string;
}

export class CheckQueryDto extends ReadOptionsDto {
  @IsId('Team id', 'acme')
  teamId!: string;

  @IsId('User id', 'bob')
  userId!: string;

  @ApiProperty({ enum: permissions, example: 'project.deploy.production' })
  @IsIn(permissions)
  permission!: Permission;

  @IsOptionalId('Project id (needed for project permissions; ignored for team-level ones)', 'web')
  projectId?: string;
}

export class PermissionsQueryDto extends ReadOptionsDto {
  @IsOptionalId('Only this user', 'bob')
  userId?: string;

  @IsOptionalId('Only team-level permissions and those on this project', 'web')
  projectId?: string;
}

export class ProjectAccessQueryDto extends ReadOptionsDto {
  @ApiProperty({ enum: permissions, example: 'project.deploy.production' })
  @IsIn(permissions)
  permission!: Permission;
}

export class ChangesQueryDto {
  @ApiPropertyOptional({
    description: 'Changes strictly after this position (`next` of the previous page, or any command position)',
    example: '42',
  })
  @Omittable()
  @IsString()
  @MaxLength(positionMaxLength)
  after?: string;

  @IsOptionalId('Only this team (needs team.view or team.audit.view; every team needs the access:read scope)', 'acme')
  teamId?: string;

  @ApiPropertyOptional({
    description: 'Page size (JSON); the changes of one event are never split, so a page may hold a few more',
    default: 100,
    minimum: 1,
    maximum: 1000,
  })
  @Omittable()
  @FromDecimalDigits()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'Wait (up to 5 s) until the change feed includes this position', example: '42' })
  @Omittable()
  @IsString()
  @MaxLength(positionMaxLength)
  minPosition?: string;
}

export class TeamPathDto {
  @IsId('Team id', 'acme')
  teamId!: string;
}

export class ProjectPathDto extends TeamPathDto {
  @IsId('Project id', 'web')
  projectId!: string;
}

export class MemberPathDto extends TeamPathDto {
  @IsId('User id', 'bob')
  userId!: string;
}

export class TeamListQueryDto extends MinPositionDto {
  @ApiPropertyOptional({ description: '`nextCursor` of the previous page' })
  @Omittable()
  @IsString()
  @MaxLength(400)
  cursor?: string;

  @ApiPropertyOptional({ description: 'Page size', default: 100, minimum: 1, maximum: 1000 })
  @Omittable()
  @FromDecimalDigits()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
