import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
