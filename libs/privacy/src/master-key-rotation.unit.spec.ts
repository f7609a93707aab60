import { randomBytes } from 'node:crypto';
import { MemorySubjectKeyStorage } from './key-storage';
import { MasterKeys } from './master-key';
import { SubjectKeys } from './subject-keys';

const master = randomBytes(32);

it('a rolling master-key rotation as the README says it: no instance ever fails to open a value', async () => {
  const storage = new MemorySubjectKeyStorage();
  const next = randomBytes(32);
  const old = new MasterKeys(master);
  const sealedBefore = await new SubjectKeys(storage, old, { cacheTtlMs: 0 }).seal('before', ['alice']);
  // Step 1: every instance, one by one, learns the new key while still wrapping with the old one.
  const learning = new SubjectKeys(storage, new MasterKeys(master, next), { cacheTtlMs: 0 });
  const notYetRestarted = new SubjectKeys(storage, old, { cacheTtlMs: 0 });
  expect(await learning.open(sealedBefore)).toBe('before');
  expect(await notYetRestarted.open(sealedBefore)).toBe('before');
  // Step 2: one by one, the new key becomes the current one; the instances step 1 restarted still run beside them.
  const switched = new SubjectKeys(storage, new MasterKeys(next, master), { cacheTtlMs: 0 });
  expect(await switched.open(sealedBefore)).toBe('before');
  const sealedDuring = await switched.seal('during', ['dora']);
  expect(await learning.open(sealedBefore)).toBe('before');
  expect(await learning.open(sealedDuring)).toBe('during');
  // Step 3: privacy:rotate re-wraps the rest; step 4: the previous key is dropped.
  await switched.rotate();
  const done = new SubjectKeys(storage, new MasterKeys(next), { cacheTtlMs: 0 });
  expect(await done.open(sealedBefore)).toBe('before');
  expect(await done.open(sealedDuring)).toBe('during');
});

it('the one-step rotation fails an instance not yet restarted (why the README asks for two restarts)', async () => {
  const storage = new MemorySubjectKeyStorage();
  const next = randomBytes(32);
  const sealed = await new SubjectKeys(storage, new MasterKeys(master), { cacheTtlMs: 0 }).seal('x', ['alice']);
  const restarted = new SubjectKeys(storage, new MasterKeys(next, master), { cacheTtlMs: 0 });
  const notYetRestarted = new SubjectKeys(storage, new MasterKeys(master), { cacheTtlMs: 0 });
  expect(await restarted.open(sealed)).toBe('x');
  await expect(notYetRestarted.open(sealed)).rejects.toThrow(/PRIVACY_MASTER_KEY/);
});
