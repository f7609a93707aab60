/** DirectoryProvisioning: appends with the expected revision, so two instances on one store never lose a write. */
import { MemoryEventStore, StreamLocks } from '@access-audit/event-store';
import { directoryStreamId } from './events';
import { DirectoryProvisioning, type DirectoryTeamSync } from './provisioning';

const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';
const groupSchema = 'urn:ietf:params:scim:schemas:core:2.0:Group';

describe('DirectoryProvisioning', () => {
  const synced: Array<{ scope: readonly string[]; correlationId: string }> = [];
  const syncTeam: DirectoryTeamSync = async ({ scope, context }) => {
    synced.push({ scope, correlationId: context.correlationId });
    return { ok: true };
  };
  const instance = (store: MemoryEventStore) =>
    new DirectoryProvisioning({
      store,
      locks: new StreamLocks(),
      now: () => new Date('2026-12-01T10:00:00Z'),
      syncTeam,
    });
  // The member userId is the externalId: here the same short name.
  const create = (scimId: string, userName: string) =>
    ({
      type: 'CreateUser',
      directoryId: 'dir_1',
      now: '2026-12-01T10:00:00Z',
      scimId,
      body: { schemas: [userSchema], userName, ...(userName ? { externalId: userName } : {}) },
    }) as const;
  const context = (correlationId: string) => ({ teamId: 'acme', correlationId });

  beforeEach(() => synced.splice(0));

  it('two instances writing at once: both writes land (the loser of the race reloads and decides again)', async () => {
    const store = new MemoryEventStore();
    const [a, b] = [instance(store), instance(store)];
    const results = await Promise.all([
      a.write(create('u-1', 'ann'), context('r1')),
      b.write(create('u-2', 'bob'), context('r2')),
      a.write(create('u-3', 'cy'), context('r3')),
      b.write(create('u-4', 'di'), context('r4')),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect((await store.readStream(directoryStreamId('dir_1'))).map((e) => e.type)).toEqual(
      Array(4).fill('DirectoryUserProvisioned'),
    );
    expect([...(await a.read('dir_1')).users.keys()].sort()).toEqual(['u-1', 'u-2', 'u-3', 'u-4']);
  });

  it('two instances creating one userName at once: one wins, the other is 409 uniqueness', async () => {
    const store = new MemoryEventStore();
    const results = await Promise.all([
      instance(store).write(create('u-1', 'Ann'), context('r1')),
      instance(store).write(create('u-2', 'ann'), context('r2')),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toMatchObject({ ok: false, rejection: { status: 409, scimType: 'uniqueness' } });
    expect(await store.streamRevision(directoryStreamId('dir_1'))).toBe(0);
  });

  it('reconciles after each write the user it touched, or every member of the group before and after; with the request id', async () => {
    const p = instance(new MemoryEventStore());
    await p.write(create('u-1', 'ann'), context('r1'));
    await p.write(create('u-2', 'bob'), context('r2'));
    const group = {
      type: 'CreateGroup',
      directoryId: 'dir_1',
      now: '2026-12-01T10:00:00Z',
      scimId: 'g',
      body: { schemas: [groupSchema], displayName: 'G', members: [{ value: 'u-1' }] },
    } as const;
    await p.write(group, context('r3'));
    await p.write(
      { ...group, type: 'ReplaceGroup', body: { ...group.body, members: [{ value: 'u-2' }] } },
      context('r4'),
    );
    await p.write(
      { type: 'DeleteUser', directoryId: 'dir_1', now: '2026-12-01T10:00:00Z', scimId: 'u-2' },
      context('r5'),
    );
    expect(synced).toEqual([
      { scope: ['ann'], correlationId: 'r1' },
      { scope: ['bob'], correlationId: 'r2' },
      { scope: ['ann'], correlationId: 'r3' },
      { scope: ['ann', 'bob'], correlationId: 'r4' },
      { scope: ['bob'], correlationId: 'r5' },
    ]);
  });

  it('reconcileAll brings every user the directory knows into scope (after the mappings change)', async () => {
    const p = instance(new MemoryEventStore());
    await p.write(create('u-1', 'ann'), context('r1'));
    await p.write(create('u-2', 'bob'), context('r2'));
    synced.splice(0);
    expect(await p.reconcileAll('dir_1', context('r3'))).toEqual({ ok: true });
    expect(synced).toEqual([{ scope: ['ann', 'bob'], correlationId: 'r3' }]);
  });

  it('a refused write appends nothing and reconciles nothing', async () => {
    const store = new MemoryEventStore();
    const outcome = await instance(store).write(create('u-1', ''), context('r1'));
    expect(outcome).toMatchObject({ ok: false, rejection: { status: 400 } });
    expect(await store.streamRevision(directoryStreamId('dir_1'))).toBe(-1);
    expect(synced).toEqual([]);
  });
});
