import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { masterKeyIdOf } from './master-key';
import { erasedText } from './sealed-value';
import { openSubjectKeys } from './open-subject-keys';

/** Several processes on one SQLite event file (README: one host), each with its own DATA_DIR, as the README runs them. */
it('instances sharing one SQLite event file share its subject keys: one seals, another opens, an erasure reaches both', async () => {
  const root = mkdtempSync(join(tmpdir(), 'shared-sqlite-'));
  try {
    const eventStore = `sqlite:${join(root, 'store', 'events.db')}`;
    const [a, b] = await Promise.all(
      ['a', 'b'].map((name) => openSubjectKeys({ eventStore, dataDir: join(root, name), cacheTtlMs: 0 })),
    );
    const sealed = await a!.seal('alice on call', ['alice']);
    expect(await b!.open(sealed)).toBe('alice on call');
    await b!.erase('alice');
    expect(await a!.open(sealed)).toBe(erasedText);
    await Promise.all([a!.close(), b!.close()]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

it('refuses to open a key store none of whose keys its master keys wrap, naming the key ids; a rotation pair opens it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'master-mismatch-'));
  const [first, other] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
  const open = (masterKey: string | undefined, previousMasterKey?: string) =>
    openSubjectKeys({ eventStore: undefined, dataDir: root, masterKey, previousMasterKey });
  try {
    // An empty store opens with any key.
    const empty = await open(other);
    await empty.close();
    const writer = await open(first);
    const sealed = await writer.seal('alice on call', ['alice']);
    await writer.close();

    const refusal = (await open(other).catch((error: unknown) => error)) as Error;
    expect(refusal).toBeInstanceOf(Error);
    expect(refusal.message).toMatch(/^PRIVACY_MASTER_KEY does not open the subject key store/);
    expect(refusal.message).toContain(masterKeyIdOf(Buffer.from(first, 'base64')));
    expect(refusal.message).toContain(masterKeyIdOf(Buffer.from(other, 'base64')));
    expect(refusal.message).not.toContain(first);
    // The generated default file was never written over: without a setting it is another key still.
    await expect(open(undefined)).rejects.toThrow(/does not open the subject key store/);

    const rotating = await open(other, first);
    expect(await rotating.open(sealed)).toBe('alice on call');
    await rotating.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
