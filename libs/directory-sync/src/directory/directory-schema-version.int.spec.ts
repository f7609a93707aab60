/** Directory events appended sealed carry schemaVersion 2; such an event with its personal sub-object in clear is refused. */
import { randomBytes } from 'node:crypto';
import { MemoryEventStore, StreamLocks } from '@access-audit/event-store';
import { MasterKeys, MemorySubjectKeyStorage, SubjectKeys } from '@access-audit/privacy';
import { directoryStreamId } from './events';
import { DirectoryProvisioning } from './provisioning';

const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';
const create = {
  type: 'CreateUser',
  directoryId: 'dir_1',
  now: '2026-12-01T10:00:00Z',
  scimId: 'u-1',
  body: { schemas: [userSchema], userName: 'erin', emails: [{ value: 'erin.example@acme.test' }] },
} as const;
const context = { teamId: 'acme', correlationId: 'r1' };
const keys = () => new SubjectKeys(new MemorySubjectKeyStorage(), new MasterKeys(randomBytes(32)));
const instance = (store: MemoryEventStore, personalData?: SubjectKeys) =>
  new DirectoryProvisioning({
    store,
    locks: new StreamLocks(),
    now: () => new Date('2026-12-01T10:00:00Z'),
    syncTeam: () => Promise.resolve({ ok: true }),
    ...(personalData ? { personalData } : {}),
  });

describe('directory event schema versions', () => {
  it('a sealed append is v2 and reads back opened', async () => {
    const store = new MemoryEventStore();
    const subjectKeys = keys();
    expect((await instance(store, subjectKeys).write(create, context)).ok).toBe(true);
    const [event] = await store.readStream(directoryStreamId('dir_1'));
    expect(event!.metadata.schemaVersion).toBe(2);
    expect(JSON.stringify(event!.data)).not.toContain('erin.example');
    expect([...(await instance(store, subjectKeys).read('dir_1')).users.keys()]).toEqual(['u-1']);
  });

  it('a v1 event (recorded before sealing) with its personal data in clear still reads; the same event as v2 is refused', async () => {
    const old = new MemoryEventStore();
    expect((await instance(old).write(create, context)).ok).toBe(true);
    const [recorded] = await old.readStream(directoryStreamId('dir_1'));
    expect(recorded!.metadata.schemaVersion).toBeUndefined();
    expect(JSON.stringify(recorded!.data)).toContain('erin.example');
    expect([...(await instance(old, keys()).read('dir_1')).users.keys()]).toEqual(['u-1']);

    const bug = new MemoryEventStore();
    await bug.append(
      directoryStreamId('dir_1'),
      [
        {
          id: recorded!.id,
          type: recorded!.type,
          data: recorded!.data,
          metadata: { ...recorded!.metadata, schemaVersion: 2 },
        },
      ],
      'no_stream',
    );
    const refused = await instance(bug, keys())
      .read('dir_1')
      .then(
        () => undefined,
        (error: Error) => error.message,
      );
    expect(refused).toContain('data.personal is personal data in clear (not sealed)');
    expect(refused).not.toContain('erin');
  });

  it('an event of a schema version this code does not know stops the fold, as an unknown type does', async () => {
    const store = new MemoryEventStore();
    const source = new MemoryEventStore();
    const provisioning = instance(source, keys());
    await provisioning.write(create, context);
    const [recorded] = await source.readStream(directoryStreamId('dir_1'));
    await store.append(
      directoryStreamId('dir_1'),
      [
        {
          id: recorded!.id,
          type: recorded!.type,
          data: recorded!.data,
          metadata: { ...recorded!.metadata, schemaVersion: 3 },
        },
      ],
      'no_stream',
    );
    await expect(instance(store).read('dir_1')).rejects.toThrow('unknown schema version');
  });
});
