import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { Omittable } from '../../http/field-rules';
import { teamRoleAliases, teamRoles, type TeamRole } from '@access-audit/domain';
import type { ReviewScope } from '@access-audit/access-reviews';
import { ReasonDto } from '../../commands/dto/common.dto';
import { TeamParams } from '../../commands/dto/teams.dto';
import { CommandAcceptedDto } from '../../commands/dto/command-accepted.dto';
import { idMaxLength, idPattern, IsId, IsOptionalId, itemIdMaxLength, nameMaxLength } from '../../http/ids';
import { IsInstant } from '../../queries/dto/queries.dto';

export const justificationMaxLength = 1000;
const maxReviewers = 50;
const idMessage = 'each value in $property must be an id: 1-128 characters of letters, digits and . _ : @ | -';

export class AccessReviewParams extends TeamParams {
  @IsId('Access review id (the `reviewId` the campaign was opened with)', 'q1-2026')
  reviewId!: string;
}

export class AccessReviewItemParams extends AccessReviewParams {
  @ApiProperty({
    description:
      'Item id from the campaign (e.g. `team_role:bob`, `project_role:carol:web`, `permission_group:dan:create_project`)',
    example: 'team_role:bob',
  })
  @IsString()
  @MaxLength(itemIdMaxLength)
  itemId!: string;
}

export class ReviewScopeDto {
  @ApiProperty({
    enum: ['team', 'projects', 'roles'],
    description:
      '`team`: every grant; `projects`: the contributor project roles on `projectIds`; `roles`: members holding one of `roles`, with their groups and project roles',
  })
  @IsIn(['team', 'projects', 'roles'])
  kind!: ReviewScope['kind'];

  @ApiPropertyOptional({ type: [String], example: ['web'], description: 'With `kind: projects`' })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @Matches(idPattern, { each: true, message: idMessage })
  projectIds?: string[];

  @ApiPropertyOptional({
    enum: teamRoles,
    isArray: true,
    example: ['owner', 'member'],
    description: 'With `kind: roles` (`viewer` = enterprise_viewer)',
  })
  @Omittable()
  @IsArray()
  @Transform(({ value }: { value: unknown }) =>
    Array.isArray(value)
      ? value.map((role) =>
          typeof role === 'string' && Object.hasOwn(teamRoleAliases, role) ? teamRoleAliases[role] : role,
        )
      : value,
  )
  @IsIn(teamRoles, { each: true })
  roles?: TeamRole[];
}

export class OpenAccessReviewDto extends ReasonDto {
  @IsOptionalId('Id of the new campaign; generated when absent', 'q1-2026')
  id?: string;

  @ApiProperty({ example: 'Q1 2026 access review', maxLength: nameMaxLength })
  @IsString()
  @MinLength(1)
  @MaxLength(nameMaxLength)
  name!: string;

  @ApiProperty({
    type: [String],
    example: ['rita', 'oscar'],
    description: 'Team members who decide; each may decide on any item but their own access and grants they made',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(maxReviewers)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(idMaxLength, { each: true })
  @Matches(idPattern, { each: true, message: idMessage })
  reviewerIds!: string[];

  @ApiProperty({
    example: '2026-03-31T17:00:00Z',
    description: 'ISO-8601 instant; a campaign not completed by then is expired',
  })
  @IsInstant({ strict: true })
  dueAt!: string;

  @ApiPropertyOptional({ type: ReviewScopeDto, description: 'Default: the whole team' })
  @Omittable()
  @ValidateNested()
  @Type(() => ReviewScopeDto)
  scope?: ReviewScopeDto;

  @ApiPropertyOptional({
    enum: ['revoke'],
    description: 'Undecided items are revoked at completion (or at expiry, as the opener); recorded in the campaign',
  })
  @Omittable()
  @IsIn(['revoke'])
  defaultDecision?: 'revoke';
}

export class DecideItemDto extends ReasonDto {
  @ApiProperty({ enum: ['keep', 'revoke'] })
  @IsIn(['keep', 'revoke'])
  decision!: 'keep' | 'revoke';

  @ApiPropertyOptional({
    maxLength: justificationMaxLength,
    description: 'Required on privileged grants (owner, member, security, project_admin, production groups)',
  })
  @Omittable()
  @IsString()
  @MaxLength(justificationMaxLength)
  justification?: string;
}

export class EvidenceQueryDto {
  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' })
  @Omittable()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';

  @ApiPropertyOptional({
    description: 'Accepted for symmetry with other queries; campaigns are read from their stream, never behind',
  })
  @Omittable()
  @IsString()
  @MaxLength(200)
  minPosition?: string;
}

export class CampaignQueryDto {
  @ApiPropertyOptional({
    description: 'Accepted for symmetry with other queries; campaigns are read from their stream, never behind',
  })
  @Omittable()
  @IsString()
  @MaxLength(200)
  minPosition?: string;
}

export class AccessReviewAppendedEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'AccessReviewItemDecided' }) type!: string;
  @ApiProperty({
    example: 'access-review-acme-q1-2026',
    description: 'The campaign stream, or the team stream for revocations',
  })
  streamId!: string;
}

export class AccessReviewAcceptedDto extends CommandAcceptedDto {
  @ApiProperty({ example: 'q1-2026' }) reviewId!: string;
  @ApiProperty({ example: 2, description: "The campaign stream's revision after the command (its `ETag`)" })
  declare streamRevision: number;
  @ApiProperty({ type: [AccessReviewAppendedEventDto] })
  declare events: AccessReviewAppendedEventDto[];
}

export class AccessReviewCompletedDto extends AccessReviewAcceptedDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description:
      'Per item: decision, result (kept | undecided | revoked | revocation_refused | changed_since_snapshot | not_applied), enforcing team events or refusal',
  })
  outcomes!: object[];
}
