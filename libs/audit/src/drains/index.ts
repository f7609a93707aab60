export {
  backoffDelay,
  DrainDeliveries,
  maxBatchBytes,
  maxBatchRecords,
  type DrainBackoff,
  type DrainConfig,
  type DrainDeliveriesOptions,
  type DrainDeliveryObserver,
  type DrainStatus,
} from './deliveries';
export {
  drainDeliveryStreamId,
  drainDeliveryStreamPrefix,
  drainDeliveryEventTypes,
  readDeliveryState,
  type DrainDeliveryState,
} from './delivery-state';
export {
  DrainSecretKey,
  DrainSecrets,
  drainSecretKeyFileName,
  drainSecretStreamId,
  drainKeySubject,
  type DrainCredentialKeys,
  drainSecretStreamPrefix,
  type DrainCredentials,
} from './secrets';
export { DrainSender, answerBodyCapBytes, defaultDeliveryTimeoutMs } from './sender';
export { drainIdHeader, drainSignatureHeader, signDrainBody, verifyDrainSignature } from './signature';
export { checkDrainUrl, DrainAllowList, DrainTargetRefused, guardedLookup, refusedAddress } from './target';
export {
  verifyStoredDeliveries,
  type DeliveriesVerification,
  type DeliveryProblem,
  type StoredDelivery,
  type VerifyDeliveriesOptions,
} from './verify-deliveries';
