export { accessReviewRuleIds } from './campaign/rules';
export type { AccessReviewRuleId } from './campaign/rules';
export type { AccessReviewRejection } from './campaign/rejection';
export {
  snapshotPopulation,
  populationDigest,
  currentGrant,
  unchangedSinceSnapshot,
  teamRoleItemId,
  projectRoleItemId,
  permissionGroupItemId,
  itemSubject,
} from './campaign/population';
export type { ReviewScope, PopulationItem, PopulationItemKind, PopulationDigest } from './campaign/population';
export type * from './campaign/events';
export type * from './campaign/commands';
export { accessReviewEventTypes, accessReviewStreamId, accessReviewStreamPrefix } from './campaign/events';
export { evolveAccessReview, foldAccessReview, initialAccessReviewState } from './campaign/state';
export type { AccessReviewState, Campaign, ItemDecision } from './campaign/state';
export {
  decideAccessReview,
  accessReviewDecider,
  completionRefusal,
  isDueForExpiry,
  campaignOwnerPermission,
} from './campaign/decide';
export { planClosing, outcomeOf, revocationCommandFor } from './campaign/closing';
export type { PlannedItem, ClosingContext, RevocationCommand } from './campaign/closing';
export { buildEvidence, PopulationDigestMismatchError } from './evidence/evidence';
export type {
  AccessReviewEvidence,
  EvidenceDecision,
  EvidenceRevocation,
  RecordedCampaignEvent,
} from './evidence/evidence';
export { evidenceCsv } from './evidence/evidence-csv';
export { signEvidence, verifyEvidenceSignature } from './evidence/signature';
export type { EvidenceSignature, EvidenceSigner, SignedEvidence } from './evidence/signature';
export { readRefusal, listRefusal, campaignReadPermission } from './campaign/read-access';
export { campaignSummaries } from './evidence/campaign-list';
export type { CampaignSummary } from './evidence/campaign-list';
export { campaignView } from './evidence/campaign-view';
export type { CampaignView, CampaignItemView } from './evidence/campaign-view';
export { AccessReviewService } from './application/access-review-service';
export type {
  AccessReviewCallContext,
  AccessReviewCommandResult,
  AccessReviewServiceOptions,
  AuditChainHeadReader,
  DecideItemInput,
  OpenCampaignInput,
  ServiceResult,
} from './application/access-review-service';
export { auditChainHeadFromStore } from './application/audit-chain-head';
