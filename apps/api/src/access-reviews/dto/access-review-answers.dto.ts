import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

const campaignStatus = ['open', 'completed', 'expired'];
const openObject = { type: 'object', additionalProperties: true } as const;

/** One line of `GET …/access-reviews`. */
export class CampaignSummaryDto {
  @ApiProperty({ example: 'q1-2026' }) reviewId!: string;
  @ApiProperty({ example: 'Q1 2026 access review' }) name!: string;
  @ApiProperty({ enum: campaignStatus }) status!: string;
  @ApiProperty({ description: 'Open and past its due date' }) overdue!: boolean;
  @ApiProperty({ example: 'alice' }) openedBy!: string;
  @ApiProperty({ example: '2026-03-01T09:00:00.000Z' }) openedAt!: string;
  @ApiProperty({ example: '2026-03-31T17:00:00.000Z' }) dueAt!: string;
  @ApiProperty({ type: [String] }) reviewerIds!: string[];
  @ApiProperty({ description: 'Items in the population' }) items!: number;
  @ApiProperty({ example: 'sha256:9f86d0…', description: '`<algorithm>:<hex>` of the population' })
  populationDigest!: string;
  @ApiProperty({ type: String, nullable: true, description: 'When it was completed or expired' })
  closedAt!: string | null;
  @ApiProperty({ description: "Position of the campaign's latest event listed here" }) position!: string;
}

export class CampaignListDto {
  @ApiProperty({ type: [CampaignSummaryDto], description: 'Oldest first' }) accessReviews!: CampaignSummaryDto[];
}

export class EvidenceDecisionDto {
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty() position!: string;
  @ApiProperty({ example: 'team_role:bob' }) itemId!: string;
  @ApiProperty({ enum: ['keep', 'revoke'] }) decision!: string;
  @ApiProperty({ type: String, nullable: true }) justification!: string | null;
  @ApiProperty({ example: 'rita' }) reviewerId!: string;
  @ApiProperty({ example: '2026-03-10T12:00:00.000Z' }) decidedAt!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The later decision that replaced this one; null if in force',
  })
  supersededBy!: string | null;
}

/** A grant under review (as snapshotted) with its decisions and, once closed, its outcome. */
@ApiExtraModels(EvidenceDecisionDto)
export class CampaignItemDto {
  @ApiProperty({ example: 'team_role:bob' }) itemId!: string;
  @ApiProperty({ enum: ['team_role', 'project_role', 'permission_group'] }) kind!: string;
  @ApiProperty({ example: 'bob' }) userId!: string;
  @ApiProperty({ example: 'alice' }) grantedBy!: string;
  @ApiProperty({ example: '2026-01-05T10:00:00.000Z' }) grantedAt!: string;
  @ApiProperty({ description: 'A decision on it needs a justification' }) privileged!: boolean;
  @ApiPropertyOptional({ example: 'developer', description: 'team_role, project_role' }) role?: string;
  @ApiPropertyOptional({ example: 'web', description: 'project_role' }) projectId?: string;
  @ApiPropertyOptional({ example: 'create_project', description: 'permission_group' }) group?: string;
  @ApiProperty({
    // OpenAPI 3.0's `nullable` does not reach into a $ref: null is its own alternative.
    anyOf: [{ $ref: getSchemaPath(EvidenceDecisionDto) }, { type: 'object', nullable: true, enum: [null] }],
    description: 'The decision in force; null while undecided',
  })
  decision!: EvidenceDecisionDto | null;
  @ApiProperty({ type: [EvidenceDecisionDto], description: 'Earlier decisions a later one replaced, oldest first' })
  supersededDecisions!: EvidenceDecisionDto[];
  @ApiProperty({
    ...openObject,
    nullable: true,
    description:
      'What closing did with it (decision, decidedBy, causationEventId, changedSinceSnapshot, result, …); null while open',
  })
  outcome!: object | null;
}

export class CampaignViewDto {
  @ApiProperty({ example: 'acme' }) teamId!: string;
  @ApiProperty({ example: 'q1-2026' }) reviewId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: campaignStatus }) status!: string;
  @ApiProperty({ description: 'Open and past its due date: the next command on it records the expiry' })
  overdue!: boolean;
  @ApiProperty() openedBy!: string;
  @ApiProperty() openedAt!: string;
  @ApiProperty() dueAt!: string;
  @ApiProperty({ type: [String] }) reviewerIds!: string[];
  @ApiProperty({ ...openObject, description: '`{ kind: team | projects | roles, projectIds?, roles? }`' })
  scope!: object;
  @ApiProperty({ type: String, enum: ['revoke', null], nullable: true }) defaultDecision!: string | null;
  @ApiProperty({ ...openObject, description: 'The team stream revision and position the population was folded at' })
  snapshot!: object;
  @ApiProperty({ ...openObject, description: '`{ algorithm: sha256, value }` of the population' })
  populationDigest!: object;
  @ApiProperty({ ...openObject, description: '`{ items, decided, undecided, keep, revoke }`' }) summary!: object;
  @ApiProperty({
    ...openObject,
    nullable: true,
    description: 'How it closed (status, eventId, position, closedBy, closedAt, auditChainHead, …); null while open',
  })
  closing!: object | null;
  @ApiProperty({ type: [CampaignItemDto] }) items!: CampaignItemDto[];
  @ApiProperty({ example: 3, description: "The campaign stream's revision (the `ETag`)" }) streamRevision!: number;
  @ApiProperty({ description: "Position of the campaign's latest event (`X-Position`)" }) position!: string;
}

export class EvidenceSignatureDto {
  @ApiProperty({ enum: ['Ed25519'] }) algorithm!: string;
  @ApiProperty({ enum: ['canonical-json(evidence)'], description: 'RFC 8785 canonical JSON, UTF-8, of `evidence`' })
  signedContent!: string;
  @ApiProperty({ description: 'Id of the key (as on /v1/audit/public-key)' }) keyId!: string;
  @ApiProperty({ description: 'The verifying key, SPKI PEM' }) publicKey!: string;
  @ApiProperty({ description: 'Base64 signature' }) value!: string;
}

export class SignedEvidenceDto {
  @ApiProperty({
    ...openObject,
    description: '`{ evidenceVersion, campaign, population, decisions, closing, revocations }`',
  })
  evidence!: object;
  @ApiProperty({ type: EvidenceSignatureDto }) signature!: EvidenceSignatureDto;
}
