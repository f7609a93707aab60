import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  getSchemaPath,
  type ApiPropertyOptions,
} from '@nestjs/swagger';

export class AuditTargetDto {
  @ApiPropertyOptional({ example: 'bob' }) userId?: string;
  @ApiPropertyOptional({ example: 'web' }) projectId?: string;
  @ApiPropertyOptional({
    example: 'firewall',
    description: 'plan, name, firewall, ipBlocks, permissionGroups.<group>, deploymentProtection.…',
  })
  setting?: string;
}

/** The event a change entry records. */
export class AuditSourceDto {
  @ApiProperty() eventId!: string;
  @ApiProperty({ example: 'MemberAdded' }) eventType!: string;
  @ApiProperty({ example: 'team-acme', description: 'The team stream, or an access-review campaign stream' })
  streamId!: string;
  @ApiProperty({ example: 14 }) streamRevision!: number;
  @ApiProperty({ description: 'Global position in the event store (opaque)' }) position!: string;
  @ApiPropertyOptional({
    pattern: '^[0-9a-f]{64}$',
    description:
      "SHA-256 (hex) over the RFC 8785 canonical JSON of the source event's `{ type, data, metadata }`: the entry commits to the whole event; absent on entries recorded before it was introduced",
  })
  digest?: string;
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
  @ApiPropertyOptional({ type: AuditSourceDto, description: 'change: the team or campaign event it records' })
  source?: AuditSourceDto;
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

/** Any JSON value, null included (OpenAPI 3.0 has no null type: the object branch is the nullable one). */
const anyJsonValue: Pick<ApiPropertyOptions, 'oneOf'> = {
  oneOf: [
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'object', nullable: true },
    { type: 'array', items: {} },
  ],
};

export class SourceFieldDifferenceDto {
  @ApiProperty({ example: 'after.role', description: 'Dotted path of the field in the entry' }) field!: string;
  @ApiPropertyOptional({
    ...anyJsonValue,
    example: 'developer',
    description: 'The value in the audit entry (absent: the entry lacks the field)',
  })
  entry?: unknown;
  @ApiPropertyOptional({
    ...anyJsonValue,
    example: 'owner',
    description: 'The value recomputed from the source event (absent: it gives none)',
  })
  source?: unknown;
}

export class SourceEventRefDto {
  @ApiProperty({ example: 'team-acme' }) streamId!: string;
  @ApiProperty({ example: 14 }) streamRevision!: number;
  @ApiProperty({ type: String, nullable: true }) eventId!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'MemberAdded' }) eventType!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Global position in the event store' })
  position!: string | null;
}

export class SourceMismatchDto {
  @ApiProperty({
    enum: ['different', 'missing', 'extra'],
    description:
      'different: the entry is not what its source event gives; missing: an audited event has no entry; extra: an entry whose source event is not there',
  })
  kind!: string;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: "The entry's sequence; for a missing entry, the next entry of the same stream (null: none)",
  })
  sequence!: number | null;
  @ApiProperty({ type: String, nullable: true }) entryId!: string | null;
  @ApiPropertyOptional({ description: 'Revision of the entry in the audit stream' }) streamRevision?: number;
  @ApiProperty({ type: SourceEventRefDto, description: 'The source event, as far as it is known' })
  source!: SourceEventRefDto;
  @ApiProperty({ type: [SourceFieldDifferenceDto], description: 'different: the fields that differ (the first 20)' })
  fields!: SourceFieldDifferenceDto[];
  @ApiProperty({ example: 'the entry differs from its source event in after.role: …' }) reason!: string;
}

export class SourceVerificationDto {
  @ApiProperty({ description: 'Change entries compared with their source event' }) compared!: number;
  @ApiProperty() different!: number;
  @ApiProperty() missing!: number;
  @ApiProperty() extra!: number;
  @ApiProperty({ description: 'Audited events after the last recorded one of their stream, not recorded yet' })
  unrecorded!: number;
  @ApiProperty({
    description:
      'Compared entries recorded before entries committed to their whole source event (no `source.digest`): checked field by field only',
  })
  uncommitted!: number;
  @ApiProperty({ type: [SourceMismatchDto], description: 'The first 100 mismatches, in chain order' })
  mismatches!: SourceMismatchDto[];
}

export class UnsignedTailDto {
  @ApiProperty({ description: 'Entries after the last verified signed checkpoint' }) entries!: number;
  @ApiProperty({ type: String, nullable: true, description: 'When the event store recorded the first of them' })
  since!: string | null;
  @ApiPropertyOptional({
    description:
      'Why the tail is longer than 100 entries or older than 60 s (+30 s slack): checkpoints removed, or signing refused',
  })
  beyondBound?: string;
}

export class SignedCheckpointDto {
  @ApiProperty({ enum: ['checkpoint'] }) kind!: string;
  @ApiProperty({ example: 'acme' }) teamId!: string;
  @ApiProperty({ description: 'The checkpoint vouches for entries 1..sequence', example: 10 }) sequence!: number;
  @ApiProperty({ description: 'Hash of entry `sequence` (the signed head)' }) headHash!: string;
  @ApiProperty({ format: 'date-time' }) signedAt!: string;
  @ApiProperty({ enum: ['Ed25519'] }) algorithm!: string;
  @ApiProperty({
    description: 'First 16 hex digits of SHA-256 over the public key (SPKI DER); see /v1/audit/public-key',
  })
  keyId!: string;
  @ApiProperty({
    description:
      'Base64 Ed25519 signature over the canonical JSON (keys sorted, no spaces) of { headHash, keyId, sequence, signedAt, teamId }',
  })
  signature!: string;
}

@ApiExtraModels(SignedCheckpointDto)
export class AuditVerificationDto {
  @ApiProperty({ example: 'acme' }) teamId!: string;
  @ApiProperty({ description: 'The chain, every entry against its source event, and the unsigned tail all hold' })
  valid!: boolean;
  @ApiProperty({ description: 'Entries verified (all of them when valid)' }) entries!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Hash of the last verified entry' }) head!: string | null;
  @ApiProperty({ description: 'Signed checkpoints verified' }) checkpoints!: number;
  @ApiProperty({ description: 'Highest sequence a verified signed checkpoint vouches for' }) signedThrough!: number;
  @ApiPropertyOptional({ type: ChainBreakDto, description: 'Where the chain first breaks' }) break?: ChainBreakDto;
  @ApiProperty({ type: UnsignedTailDto, description: 'Entries no signature vouches for yet' })
  unsignedTail!: UnsignedTailDto;
  @ApiProperty({
    // OpenAPI 3.0's `nullable` does not reach into a $ref: null is its own alternative.
    anyOf: [{ $ref: getSchemaPath(SignedCheckpointDto) }, { type: 'object', nullable: true, enum: [null] }],
    description:
      'The verified signed checkpoint that vouches for entries 1..signedThrough (the signed head); null when none was verified',
  })
  checkpoint!: SignedCheckpointDto | null;
  @ApiProperty({
    type: SourceVerificationDto,
    description: 'Each change entry recomputed from its source team or campaign event',
  })
  sources!: SourceVerificationDto;
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
