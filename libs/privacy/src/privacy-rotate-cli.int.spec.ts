import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTranspiledSources, runSourceFile } from '../../audit/src/testing/transpiled-child';
import { MasterKeys } from './master-key';
import { SqliteSubjectKeyStorage } from './sqlite-key-storage';
import { SubjectKeys } from './subject-keys';

afterAll(() => removeTranspiledSources());

it('npm run privacy:rotate re-wraps every key under the new master key; the old one then opens nothing', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'privacy-rotate-'));
  try {
    const [before, after] = [randomBytes(32), randomBytes(32)];
    const path = join(dataDir, 'subject-keys.db');
    const old = new SubjectKeys(new SqliteSubjectKeyStorage(path), new MasterKeys(before));
    const sealed = await Promise.all(
      ['alice', 'bob', 'constructor'].map((subject) => old.seal(`${subject}'s text`, [subject])),
    );
    await old.close();
    const env = {
      DATA_DIR: dataDir,
      EVENT_STORE: `sqlite:${join(dataDir, 'events.db')}`,
      PRIVACY_MASTER_KEY: after.toString('base64'),
      PRIVACY_MASTER_KEY_PREVIOUS: before.toString('base64'),
    };
    const rotated = await runSourceFile('apps/cli/src/main.ts', ['privacy:rotate'], { env });
    expect(rotated).toMatchObject({ code: 0, stdout: 're-wrapped 3 subject key(s) under the current master key\n' });
    const again = await runSourceFile('apps/cli/src/main.ts', ['privacy:rotate'], { env });
    expect(again.stdout).toBe('re-wrapped 0 subject key(s) under the current master key\n');
    const rewrapped = new SubjectKeys(new SqliteSubjectKeyStorage(path), new MasterKeys(after));
    expect(await rewrapped.reveal(sealed)).toEqual(["alice's text", "bob's text", "constructor's text"]);
    await rewrapped.close();
    const stale = new SubjectKeys(new SqliteSubjectKeyStorage(path), new MasterKeys(before));
    await expect(stale.open(sealed[0]!)).rejects.toThrow(/neither PRIVACY_MASTER_KEY nor PRIVACY_MASTER_KEY_PREVIOUS/);
    await stale.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
