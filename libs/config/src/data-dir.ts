import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minJwtSecretLength } from './api-config';

/** Creates DATA_DIR with mode 0700 (and tightens an existing one). */
export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if ((statSync(dataDir).mode & 0o077) !== 0) chmodSync(dataDir, 0o700);
}

export const jwtSecretFileName = 'jwt-secret';

const readSecretFile = (path: string): string => {
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < minJwtSecretLength)
    throw new Error(`${path} holds a secret shorter than ${minJwtSecretLength} characters`);
  return secret;
};

/**
 * The HS256 secret of the embedded default: read from `$DATA_DIR/jwt-secret`, or generated there once (mode 0600).
 * Two processes starting together both end up with the file's content: the loser of the exclusive create reads it.
 */
export function loadOrCreateJwtSecret(dataDir: string): string {
  ensureDataDir(dataDir);
  const path = join(dataDir, jwtSecretFileName);
  try {
    return readSecretFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readSecretFile(path);
}
