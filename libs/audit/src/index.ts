export * from './entry';
export { canonicalJson } from './canonical-json';
export { teamEventActions, describeTeamEvent, isTeamEventType, type AccessChange } from './actions';
export { entryHash, sealEntry } from './chain';
export { uuidV5, auditEntryIdFor, auditIdNamespace } from './ids';
export {
  CheckpointSigner,
  loadCheckpointSigner,
  readPublicKey,
  publicKeyId,
  verifyCheckpointSignature,
  checkpointSigningInput,
  auditSigningKeyFileName,
  type SigningKeyLocation,
} from './signing';
export { ChainVerifier, verifyRecords, type ChainBreak, type ChainVerification, type RecordLocation } from './verify';
export { DenialRateLimiter, type DenialRateLimitOptions } from './denial-rate-limit';
export { commandTarget, deniedTeamCommand, type DeniedCommand } from './denial';
export {
  AuditTrail,
  UnauditableEventError,
  auditedTeamOf,
  defaultCheckpointEvery,
  defaultCheckpointMaxAgeMs,
  type AuditTrailOptions,
  type AuditTail,
  type AuditedEventRef,
  type RecordOutcome,
  type WitnessedHead,
} from './audit-trail';
export { AuditIndex, InvalidCursorError, normaliseInstant, type AuditFilter, type AuditPage } from './audit-index';
export {
  auditExportFormats,
  csvExport,
  ndjsonExport,
  exportStream,
  csvRow,
  auditCsvColumns,
  type AuditExportFormat,
} from './export';
export { spreadsheetSafeCsvOptions } from './csv';
export {
  summarizeAudit,
  complianceFindings,
  overdueAccessReviews,
  type AuditSummary,
  type ComplianceFinding,
  type OverdueAccessReview,
  type PrivilegedGrant,
  type DeniedAttempt,
} from './summary';
export { AuditLog, type AuditLogOptions, type AuditIntegrityFailure, type AuditQuarantine } from './audit-log';
export { verifyNdjson, type VerifyNdjsonOptions } from './verify-ndjson';
export {
  AuditVerifier,
  verifyAuditStream,
  type AuditVerification,
  type AuditVerifierOptions,
  type UnsignedTail,
} from './verify-audit';
export {
  SourceVerifier,
  type SourceVerification,
  type SourceMismatch,
  type SourceMismatchKind,
  type SourceFieldDifference,
  type SourceEventRef,
} from './verify-sources';
export { deriveChange, isAuditedSource, sourceEventDigest, type DerivedChange } from './source-entry';
export { accessReviewStreamPrefix, accessReviewActionTypes, accessReviewActions } from './review-actions';
export { auditedStreamPrefixes } from './audit-log';
export * from './drains';
