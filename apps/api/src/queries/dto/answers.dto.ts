import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One reason a permission holds. */
export class ViaDto {
  @ApiProperty({ enum: ['team_role', 'project_role', 'permission_group'], example: 'team_role' }) kind!: string;
  @ApiPropertyOptional({ description: 'team_role / project_role: the role', example: 'developer' }) role?: string;
  @ApiPropertyOptional({
    description: 'team_role: the project role it acts as on every project',
    example: 'project_developer',
  })
  actsAs?: string;
  @ApiPropertyOptional({ description: 'project_role: the project' }) projectId?: string;
  @ApiPropertyOptional({ description: 'permission_group: the group' }) group?: string;
}

const viaDescription = 'Every reason the permission holds';

export class CheckAnswerDto {
  @ApiProperty() allowed!: boolean;
  @ApiProperty({ type: [ViaDto], description: viaDescription }) via!: unknown[];
}

/**
 * The reasons of a check or permissions answer as a JSON schema, for Fastify's compiled serializer (the hottest routes).
 * Every field of every `Via` kind is listed, in the order the domain builds them; any other field is still written
 * (additionalProperties).
 */
const viaSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['kind'],
    properties: {
      kind: { type: 'string' },
      role: { type: 'string' },
      actsAs: { type: 'string' },
      projectId: { type: 'string' },
      group: { type: 'string' },
    },
    additionalProperties: true,
  },
} as const;

/** The check answer as a JSON schema, for Fastify's compiled serializer. */
export const checkAnswerSchema = {
  type: 'object',
  required: ['allowed', 'via'],
  properties: { allowed: { type: 'boolean' }, via: viaSchema },
  additionalProperties: false,
} as const;

export class MemberPermissionDto {
  @ApiProperty({ example: 'bob' }) userId!: string;
  @ApiProperty({ example: 'project.deploy.production' }) permission!: string;
  @ApiProperty({ type: String, nullable: true, example: 'web', description: 'null for team-level permissions' })
  projectId!: string | null;
  @ApiProperty({ type: [ViaDto], description: viaDescription }) via!: unknown[];
}

/** The /permissions answer as a JSON schema for Fastify's compiled serializer: fields in the order the answer builds them. */
export const permissionsAnswerSchema = {
  type: 'object',
  // No `required`: fast-json-stringify writes required fields first, and `at` comes between them.
  properties: {
    teamId: { type: 'string' },
    at: { type: 'string' },
    permissions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['userId', 'permission', 'projectId', 'via'],
        properties: {
          userId: { type: 'string' },
          permission: { type: 'string' },
          projectId: { type: ['string', 'null'] },
          via: viaSchema,
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
} as const;

export class PermissionsAnswerDto {
  @ApiProperty({ example: 'acme' }) teamId!: string;
  @ApiPropertyOptional({ description: 'The instant asked for' }) at?: string;
  @ApiProperty({ type: [MemberPermissionDto] }) permissions!: readonly MemberPermissionDto[];
}

export class HolderDto {
  @ApiProperty({ example: 'bob' }) userId!: string;
  @ApiProperty({ type: [ViaDto], description: viaDescription }) via!: unknown[];
}

export class ProjectAccessAnswerDto {
  @ApiProperty({ example: 'acme' }) teamId!: string;
  @ApiProperty({ example: 'web' }) projectId!: string;
  @ApiProperty({ example: 'project.deploy.production' }) permission!: string;
  @ApiPropertyOptional() at?: string;
  @ApiProperty({ type: [HolderDto] }) users!: HolderDto[];
}

export class TeamMemberViewDto {
  @ApiProperty({ example: 'bob' }) userId!: string;
  @ApiProperty({ example: 'contributor' }) role!: string;
  @ApiProperty({ type: [String], example: ['full_production_deployment'] }) permissionGroups!: string[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { web: 'project_developer' },
    description: 'Explicit (contributor) project roles only; inherent ones show in /permissions',
  })
  projectRoles!: Record<string, string>;
  @ApiPropertyOptional({ example: 'dir_8f3a…', description: 'The directory that provisioned this member, if one did' })
  provisionedBy?: string;
}

export class DirectoryRoleMappingViewDto {
  @ApiProperty({ example: 'Engineering', description: "A directory group's displayName or externalId" })
  group!: string;
  @ApiPropertyOptional({ example: 'developer' }) role?: string;
  @ApiPropertyOptional({ type: [String], example: ['create_project'] }) permissionGroups?: string[];
}

export class TeamDirectoryViewDto {
  @ApiProperty({ example: 'dir_8f3a…' }) directoryId!: string;
  @ApiProperty({ example: 'Okta' }) name!: string;
  @ApiProperty({ type: [DirectoryRoleMappingViewDto], description: 'In order: on a tie of rights the earlier wins' })
  mappings!: DirectoryRoleMappingViewDto[];
}

export class TeamProjectViewDto {
  @ApiProperty({ example: 'web' }) id!: string;
  @ApiProperty({ example: 'Web' }) name!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Firewall, IP blocks, rate limits, deployment protection',
  })
  security!: Record<string, unknown>;
}

export class TeamViewDto {
  @ApiProperty({ example: 'acme' }) id!: string;
  @ApiProperty({ example: 'Acme' }) name!: string;
  @ApiProperty({ example: 'enterprise' }) plan!: string;
  @ApiProperty({ type: [TeamMemberViewDto] }) members!: TeamMemberViewDto[];
  @ApiProperty({ type: [TeamProjectViewDto] }) projects!: TeamProjectViewDto[];
  @ApiPropertyOptional({
    type: TeamDirectoryViewDto,
    description: 'The connected directory (SCIM) and its role mappings; its token is never shown',
  })
  directory?: TeamDirectoryViewDto;
}

export class PermissionRefDto {
  @ApiProperty({ example: 'project.deploy.production' }) permission!: string;
  @ApiProperty({ type: String, nullable: true, example: 'web', description: 'null for team-level permissions' })
  projectId!: string | null;
}

export class HistoryEntryDto {
  @ApiProperty() position!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ example: 'TeamRoleChanged' }) type!: string;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ example: 'alice' }) actorId!: string;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional() projectId?: string;
  @ApiPropertyOptional() group?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Cascaded events: the change that caused them',
  })
  cause?: Record<string, unknown>;
  @ApiProperty({ nullable: true, example: { role: 'developer' } }) before!: unknown;
  @ApiProperty({ nullable: true, example: { role: 'member' } }) after!: unknown;
  @ApiProperty({ type: [PermissionRefDto], description: 'Permissions the event gave the member' })
  granted!: PermissionRefDto[];
  @ApiProperty({ type: [PermissionRefDto], description: 'Permissions the event took away' })
  revoked!: PermissionRefDto[];
}

export class MemberHistoryAnswerDto {
  @ApiProperty({ example: 'acme' }) teamId!: string;
  @ApiProperty({ example: 'bob' }) userId!: string;
  @ApiProperty({ type: [HistoryEntryDto] }) entries!: HistoryEntryDto[];
}

export class ChangeCauseDto {
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ example: 'MemberRemoved' }) type!: string;
  @ApiProperty() position!: string;
  @ApiProperty() actorId!: string;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiPropertyOptional() reason?: string;
}

export class PermissionChangeDto {
  @ApiProperty() position!: string;
  @ApiProperty() teamId!: string;
  @ApiProperty() userId!: string;
  @ApiProperty({ type: String, nullable: true }) projectId!: string | null;
  @ApiProperty() permission!: string;
  @ApiProperty({ enum: ['granted', 'revoked'] }) change!: string;
  @ApiProperty({ type: ChangeCauseDto }) cause!: ChangeCauseDto;
}

export class ChangesPageDto {
  @ApiProperty({ type: [PermissionChangeDto] }) changes!: PermissionChangeDto[];
  @ApiPropertyOptional({ description: 'Pass as `after` for the next page (every change up to it has been considered)' })
  next?: string;
  @ApiProperty() hasMore!: boolean;
}

export class TeamListItemDto {
  @ApiProperty({ example: 'acme' }) id!: string;
  @ApiProperty({ example: 'Acme' }) name!: string;
  @ApiProperty({ enum: ['hobby', 'pro', 'enterprise'], example: 'enterprise' }) plan!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'owner',
    description: "The caller's team role; null when the caller is a machine reader that is not a member",
  })
  role!: string | null;
  @ApiPropertyOptional({
    description:
      'Set (true) when the team is quarantined at an event that could not be applied: name, plan and role are as they were before it, and its queries answer 503',
  })
  quarantined?: boolean;
}

export class TeamListDto {
  @ApiProperty({ type: [TeamListItemDto], description: 'In team id order' }) teams!: TeamListItemDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  nextCursor!: string | null;
}
