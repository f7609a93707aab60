import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { permissions, type Permission } from '@access-audit/domain';
import { IsId, IsOptionalId } from '../../http/ids';

const positionMaxLength = 200;

/** `minPosition` and `at`, accepted by every query. */
export class ReadOptionsDto {
  @ApiPropertyOptional({
    description:
      "Wait (up to 5 s) until the read models include everything up to this position (a command answer's `position`); else 503 with Retry-After",
    example: '42',
    maxLength: positionMaxLength,
  })
  @IsOptional()
  @IsString()
  @MaxLength(positionMaxLength)
  minPosition?: string;

  @ApiPropertyOptional({
    description: 'Answer as things were at this ISO-8601 instant',
    example: '2025-03-03T12:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
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
  @IsOptional()
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
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'Wait (up to 5 s) until the change feed includes this position', example: '42' })
  @IsOptional()
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
