/** Personal data: sealed values, the one reader that opens them, subject keys (stores, master key, rotation), erasure. */
export {
  erasedText,
  isPersonalText,
  isSealedValue,
  sealedValuesIn,
  type PersonalText,
  type Revealed,
  type SealedValue,
} from './sealed-value';
export { revealedFields, type PersonalData, type PersonalDataSealer } from './personal-data';
export {
  loadOrCreateMasterKey,
  masterKeyFileName,
  masterKeyIdOf,
  MasterKeys,
  parseMasterKey,
  type StoredSubjectKey,
} from './master-key';
export { MemorySubjectKeyStorage, type SubjectKeyStorage } from './key-storage';
export { MasterKeyMismatchError, SubjectKeys, type SubjectKeysOptions } from './subject-keys';
export {
  affectedUsers,
  sealMetadata,
  sealRequestContext,
  sealTeamEvent,
  sealText,
  subjectsOf,
  teamEventPersonalFields,
  type FieldSubjects,
  type PersonalField,
} from './personal-fields';
export { openSubjectKeys, subjectKeysFileName, type OpenSubjectKeysOptions } from './open-subject-keys';
