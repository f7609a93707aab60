import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class AuditTargetDto {
  @ApiPropertyOptional({ example: 'bob' }) userId?: string;
  @ApiPropertyOptional({ example: 'web' }) projectId?: string;
  @ApiPropertyOptional({
    example: 'firewall',
    description: 'plan, name, firewall, ipBlocks, permissionGroups.<group>, deploymentProtection.…',
  })
  setting?: string;
}

/** A change entry's `before`, `after` and `cause`: an object, or null. */
const changeValue = { type: 'object', additionalProperties: true, nullable: true } as const;

export class AuditEntryDto {
  @ApiProperty({ description: "The audit event's id (UUID)" }) id!: string;
  @ApiProperty({ example: 'acme' }) teamId!: string;
  @ApiProperty({ example: 7, description: "Position in the team's hash chain, from 1" }) sequence!: number;
  @ApiProperty({ enum: ['change', 'denial'] }) kind!: string;
  @ApiProperty({ example: '2026-03-03T10:00:00.000Z' }) time!: string;
  @ApiProperty({ example: 'alice' }) actor!: string;
  @ApiProperty({
    example: 'team.member.role.updated',
    description: 'Stable dotted action; `access.denied` for refused commands',
  })
  action!: string;
  @ApiProperty({ type: AuditTargetDto }) target!: AuditTargetDto;
  @ApiPropertyOptional({ ...changeValue, description: 'change: the value before (null when the change created it)' })
  before?: unknown;
  @ApiPropertyOptional({ ...changeValue, description: 'change: the value after (null when the change removed it)' })
  after?: unknown;
  @ApiPropertyOptional({ ...changeValue, description: 'change: what caused a cascaded change (null when none did)' })
  cause?: unknown;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty({ description: '`{ ip, userAgent, requestId }` of the request' }) context!: unknown;
  @ApiPropertyOptional({
    description: 'change: `{ eventId, eventType, streamId, streamRevision, position }` of the team event',
  })
  source?: unknown;
  @ApiPropertyOptional({
    description:
      'denial: `{ commandType, rejection, permission, rule, message, suppressedBefore }` — what was tried and what refused it',
  })
  denial?: unknown;
  @ApiProperty({ example: '2026-11-26.1' }) policyVersion!: string;
  @ApiProperty({ description: 'Hash of the previous entry (64 zeros for the first)' }) prevHash!: string;
  @ApiProperty({ description: 'sha256(prevHash + canonical JSON of the entry without hash), hex' }) hash!: string;
}

export class AuditPageDto {
  @ApiProperty({ example: 'acme' }) teamId!: string;
  @ApiProperty({ type: [AuditEntryDto], description: 'Oldest first' }) entries!: AuditEntryDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  nextCursor!: string | null;
}

export class ChainBreakDto {
  @ApiProperty({ description: 'The sequence the chain breaks at' }) sequence!: number;
  @ApiProperty({ type: String, nullable: true, description: 'The entry found at that place' }) entryId!: string | null;
  @ApiProperty({ enum: ['entry', 'checkpoint', 'unreadable'] }) record!: string;
  @ApiProperty({ example: 'the entry was altered: its content no longer gives its hash' }) reason!: string;
  @ApiPropertyOptional({ description: 'Revision of the record in the audit stream' }) streamRevision?: number;
}

export class AuditVerificationDto {
  @ApiProperty({ example: 'acme' }) teamId!: string;
  @ApiProperty() valid!: boolean;
  @ApiProperty({ description: 'Entries verified (all of them when valid)' }) entries!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Hash of the last verified entry' }) head!: string | null;
  @ApiProperty({ description: 'Signed checkpoints verified' }) checkpoints!: number;
  @ApiProperty({ description: 'Highest sequence a verified signed checkpoint vouches for' }) signedThrough!: number;
  @ApiPropertyOptional({ type: ChainBreakDto, description: 'Where the chain first breaks' }) break?: ChainBreakDto;
}

export class PrivilegedGrantDto {
  @ApiProperty({ description: 'The audit entry that recorded the grant' }) entryId!: string;
  @ApiProperty({ example: 7 }) sequence!: number;
  @ApiProperty({ example: '2026-03-03T10:00:00.000Z' }) time!: string;
  @ApiProperty({ example: 'alice' }) actor!: string;
  @ApiProperty({ example: 'bob' }) userId!: string;
  @ApiProperty({ type: String, nullable: true, description: 'project_role: the project; null otherwise' })
  projectId!: string | null;
  @ApiProperty({ enum: ['team_role', 'project_role', 'permission_group'] }) grant!: string;
  @ApiProperty({ example: 'owner', description: 'The role or group granted' }) value!: string;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
}

export class OverdueAccessReviewDto {
  @ApiProperty({ example: 'q1-2026' }) reviewId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: '2026-03-31T17:00:00.000Z' }) dueAt!: string;
  @ApiProperty({ enum: ['expired', 'open'], description: '`open`: past due, its expiry not recorded yet' })
  state!: string;
  @ApiProperty({ type: String, nullable: true, description: 'When the expiry was recorded; null while open' })
  expiredAt!: string | null;
  @ApiProperty({ type: [String] }) reviewerIds!: string[];
}

export class ComplianceFindingDto {
  @ApiProperty({
    enum: [
      'owners.fewer-than-two',
      'contributor.without-project-role',
      'member.role-not-on-plan',
      'access-review.overdue',
    ],
  })
  finding!: string;
  @ApiProperty({ description: 'The POLICY.md passage or rule id the check stands on' }) policy!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ type: [String], description: 'The users it is about (overdue campaigns: their reviewers)' })
  userIds!: string[];
  @ApiPropertyOptional({ type: [OverdueAccessReviewDto], description: '`access-review.overdue` only' })
  accessReviews?: OverdueAccessReviewDto[];
}

export class AuditSummaryDto {
  @ApiProperty({ example: 'acme' }) teamId!: string;
  @ApiProperty({ type: String, nullable: true }) from!: string | null;
  @ApiProperty() to!: string;
  @ApiProperty({ description: '`{ total, byType, byActor }` of the changes in the window' }) changes!: unknown;
  @ApiProperty({
    type: [PrivilegedGrantDto],
    description:
      'Owner, member and security roles, project_admin, and production permission groups granted in the window',
  })
  privilegedGrants!: PrivilegedGrantDto[];
  @ApiProperty({ description: '`{ total, suppressed, byActor, attempts }`: refused commands in the window' })
  deniedAttempts!: unknown;
  @ApiProperty({
    type: [ComplianceFindingDto],
    description:
      'On the team as it stood at `to`: fewer than two owners, contributors with no project role, members whose role the plan does not offer; and `access-review.overdue`: campaigns not completed by their due date as of `to` (`accessReviews`)',
  })
  findings!: ComplianceFindingDto[];
}
