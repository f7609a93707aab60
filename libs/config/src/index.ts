/** Configuration shared by every app: the environment of API.md "Running and configuration", DATA_DIR files, id rules. */
export {
  loadApiConfig,
  ConfigError,
  minJwtSecretLength,
  type ApiConfig,
  type AuthConfig,
  type OidcConfig,
} from './api-config';
export { ensureDataDir, loadOrCreateJwtSecret, jwtSecretFileName } from './data-dir';
export { readModelPath, readModelFileName } from './read-model-path';
export { idMaxLength, idPattern, itemIdMaxLength, nameMaxLength, reasonMaxLength } from './ids';
