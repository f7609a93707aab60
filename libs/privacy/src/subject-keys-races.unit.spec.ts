import { randomBytes } from 'node:crypto';
import { MemorySubjectKeyStorage } from './key-storage';
import { MasterKeys, type StoredSubjectKey } from './master-key';
import { erasedText } from './sealed-value';
import { SubjectKeys } from './subject-keys';

/** A shared key store whose lookups can be held between reading and answering, as a PostgreSQL round trip is. */
class HeldLookups extends MemorySubjectKeyStorage {
  hold = false;
  #release: Array<() => void> = [];

  override async keysById(keyIds: readonly string[]): Promise<Map<string, StoredSubjectKey>> {
    const found = await super.keysById(keyIds);
    if (this.hold) await new Promise<void>((resolve) => this.#release.push(resolve));
    return found;
  }

  override async activeKey(subject: string): Promise<StoredSubjectKey | undefined> {
    const found = await super.activeKey(subject);
    if (this.hold) await new Promise<void>((resolve) => this.#release.push(resolve));
    return found;
  }

  release(): void {
    this.hold = false;
    for (const resolve of this.#release.splice(0)) resolve();
  }
}

const master = randomBytes(32);

it('a key read before an erasure and answered after it is not cached: the next open reads [erased]', async () => {
  const storage = new HeldLookups();
  const sealed = await new SubjectKeys(storage, new MasterKeys(master)).seal('bob on call', ['bob']);
  const keys = new SubjectKeys(storage, new MasterKeys(master));
  storage.hold = true;
  const opening = keys.open(sealed);
  await new Promise((resolve) => setImmediate(resolve));
  await keys.erase('bob');
  storage.release();
  await opening;
  expect(await keys.open(sealed)).toBe(erasedText);
});

it("a subject's active key read before an erasure is not kept for the next seal", async () => {
  const storage = new HeldLookups();
  const keys = new SubjectKeys(storage, new MasterKeys(master));
  await new SubjectKeys(storage, new MasterKeys(master)).seal('first', ['bob']);
  storage.hold = true;
  const sealing = keys.seal('during', ['bob']);
  await new Promise((resolve) => setImmediate(resolve));
  await keys.erase('bob');
  storage.release();
  await sealing;
  const after = await keys.seal('after the erasure', ['bob']);
  expect(await new SubjectKeys(storage, new MasterKeys(master)).open(after)).toBe('after the erasure');
});
