/** The directory stream's decider: SCIM writes as events, personal data in one sub-object, refusals as SCIM errors. */
import { decideDirectory, type DirectoryCommand } from './decide';
import type { DirectoryEvent } from './events';
import { evolveDirectory, initialDirectoryState, type DirectoryStreamState, type DirectoryUserRecord } from './state';

const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';
const groupSchema = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const now = '2026-12-01T10:00:00.000Z';

type Input = DirectoryCommand extends infer C
  ? C extends DirectoryCommand
    ? Omit<C, 'directoryId' | 'now'>
    : never
  : never;

function run(state: DirectoryStreamState, input: Input) {
  const decision = decideDirectory({ ...input, directoryId: 'dir_1', now } as DirectoryCommand, state);
  return { decision, state: decision.ok ? decision.events.reduce(evolveDirectory, state) : state };
}

function given(...inputs: Input[]): DirectoryStreamState {
  let state = initialDirectoryState();
  for (const input of inputs) {
    const step = run(state, input);
    if (!step.decision.ok) throw new Error(step.decision.rejection.detail);
    state = step.state;
  }
  return state;
}

const ann = (extra: Record<string, unknown> = {}) => ({
  type: 'CreateUser' as const,
  scimId: 'u-ann',
  body: {
    schemas: [userSchema],
    userName: 'Ann.Lee@example.com',
    externalId: '00u1',
    name: { givenName: 'Ann', familyName: 'Lee' },
    displayName: 'Ann Lee',
    emails: [{ value: 'ann.lee@example.com', primary: true }],
    phoneNumbers: [{ value: '+1 555 0100' }],
    password: 'hunter2-secret',
    ...extra,
  },
});

const eventsOf = (decision: ReturnType<typeof decideDirectory>): DirectoryEvent[] => {
  if (!decision.ok) throw new Error(decision.rejection.detail);
  return decision.events;
};

describe('directory users', () => {
  it('provisions a user: memberUserId is externalId, every personal datum sits in `personal`, the password nowhere', () => {
    const [event] = eventsOf(run(initialDirectoryState(), ann()).decision);
    expect(event).toEqual({
      type: 'DirectoryUserProvisioned',
      data: {
        directoryId: 'dir_1',
        occurredAt: now,
        scimId: 'u-ann',
        memberUserId: '00u1',
        externalId: '00u1',
        active: true,
        schemas: [userSchema],
        personal: {
          userName: 'Ann.Lee@example.com',
          attributes: {
            name: { givenName: 'Ann', familyName: 'Lee' },
            displayName: 'Ann Lee',
            emails: [{ value: 'ann.lee@example.com', primary: true }],
            phoneNumbers: [{ value: '+1 555 0100' }],
          },
        },
      },
    });
    // Outside `personal`, nothing names the person: only ids.
    const { personal: _personal, ...rest } = event!.data as { personal: unknown };
    expect(JSON.stringify(rest)).not.toMatch(/Ann|Lee|example\.com|555/);
    expect(JSON.stringify(event)).not.toContain('hunter2');
  });

  it('without externalId the member userId is the id this service assigned, never the userName (personal data); it never changes', () => {
    const state = given({ ...ann(), body: { schemas: [userSchema], userName: 'carla@example.com' } });
    expect(state.users.get('u-ann')!.memberUserId).toBe('u-ann');
    const renamed = run(state, {
      type: 'ReplaceUser',
      scimId: 'u-ann',
      body: { schemas: [userSchema], userName: 'carla2@example.com', externalId: 'x9' },
    });
    expect(renamed.state.users.get('u-ann')).toMatchObject({ memberUserId: 'u-ann', externalId: 'x9' });
    expect(JSON.stringify(renamed.decision)).not.toMatch(/"memberUserId":"carla/);
  });

  it('refuses a userName taken case-insensitively (409 uniqueness), and a second user of one member userId', () => {
    const state = given(ann());
    expect(
      run(state, { ...ann(), scimId: 'u-2', body: { schemas: [userSchema], userName: 'ann.lee@EXAMPLE.com' } })
        .decision,
    ).toMatchObject({
      ok: false,
      rejection: { status: 409, scimType: 'uniqueness' },
    });
    expect(
      run(state, { ...ann(), scimId: 'u-2', body: { schemas: [userSchema], userName: 'other', externalId: '00u1' } })
        .decision,
    ).toMatchObject({
      ok: false,
      rejection: { status: 409, scimType: 'uniqueness' },
    });
  });

  it.each([
    ['no userName', { schemas: [userSchema] }, 'userName'],
    ['no schemas', { userName: 'x' }, 'schemas'],
    ['active not a boolean', { schemas: [userSchema], userName: 'x', active: 'maybe' }, 'active'],
    [
      'an externalId that cannot be a userId',
      { schemas: [userSchema], userName: 'x', externalId: 'has space' },
      'externalId',
    ],
  ])('refuses %s with 400 invalidValue naming the attribute', (_name, body, attribute) => {
    const { decision } = run(initialDirectoryState(), { type: 'CreateUser', scimId: 'u', body });
    expect(decision).toMatchObject({ ok: false, rejection: { status: 400, scimType: 'invalidValue' } });
    expect(!decision.ok && decision.rejection.detail).toContain(attribute);
  });

  it('ids are data: userName __proto__ with externalId constructor, scim id __proto__', () => {
    const state = given({
      type: 'CreateUser',
      scimId: '__proto__',
      body: { schemas: [userSchema], userName: '__proto__', externalId: 'constructor' },
    });
    expect(state.users.get('__proto__')).toMatchObject({
      memberUserId: 'constructor',
      personal: { userName: '__proto__' },
    });
    expect(Object.prototype).not.toHaveProperty('memberUserId');
  });

  it('active false then true: Deactivated, then Reactivated; a PATCH that changes nothing appends nothing', () => {
    const state = given(ann());
    const off = run(state, {
      type: 'PatchUser',
      scimId: 'u-ann',
      body: { schemas: [patchOp], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    });
    expect(eventsOf(off.decision).map((e) => e.type)).toEqual(['DirectoryUserDeactivated']);
    const again = run(off.state, {
      type: 'PatchUser',
      scimId: 'u-ann',
      body: { schemas: [patchOp], Operations: [{ op: 'replace', value: { active: false } }] },
    });
    expect(eventsOf(again.decision)).toEqual([]);
    const on = run(off.state, { type: 'ReplaceUser', scimId: 'u-ann', body: { ...ann().body, active: true } });
    expect(eventsOf(on.decision).map((e) => e.type)).toEqual(['DirectoryUserReactivated']);
  });

  it('a PATCH of attributes is DirectoryUserPatched with the whole result in `personal`', () => {
    const state = given(ann());
    const [event] = eventsOf(
      run(state, {
        type: 'PatchUser',
        scimId: 'u-ann',
        body: { schemas: [patchOp], Operations: [{ op: 'replace', path: 'name.familyName', value: 'Park' }] },
      }).decision,
    );
    expect(event).toMatchObject({
      type: 'DirectoryUserPatched',
      data: { personal: { attributes: { name: { givenName: 'Ann', familyName: 'Park' } } } },
    });
  });

  it('an unknown user is 404; a bad PATCH is 400 and appends nothing', () => {
    expect(run(initialDirectoryState(), { type: 'DeleteUser', scimId: 'nobody' }).decision).toMatchObject({
      ok: false,
      rejection: { status: 404 },
    });
    const state = given(ann());
    expect(
      run(state, { type: 'PatchUser', scimId: 'u-ann', body: { schemas: [patchOp], Operations: [] } }).decision,
    ).toMatchObject({
      ok: false,
      rejection: { status: 400 },
    });
    expect(
      run(state, { type: 'PatchUser', scimId: 'u-ann', body: { Operations: [{ op: 'remove', path: 'title' }] } })
        .decision,
    ).toMatchObject({
      ok: false,
      rejection: { status: 400, scimType: 'invalidValue' },
    });
  });
  it.each([
    '__proto__.polluted',
    'constructor.prototype.polluted',
    'name.__proto__.polluted',
    'emails[type eq "work"].__proto__',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:__proto__.polluted',
  ])('a PATCH path through %s is 400 invalidPath, appends nothing and leaves Object.prototype alone', (path) => {
    const state = given(ann());
    for (const op of ['add', 'replace']) {
      const { decision } = run(state, {
        type: 'PatchUser',
        scimId: 'u-ann',
        body: { schemas: [patchOp], Operations: [{ op, path, value: 'yes' }] },
      });
      expect(decision).toMatchObject({ ok: false, rejection: { status: 400, scimType: 'invalidPath' } });
      // Okta's path-less form: scim-patch reads each key of the value as a path.
      const pathless = run(state, {
        type: 'PatchUser',
        scimId: 'u-ann',
        body: { schemas: [patchOp], Operations: [{ op, value: { [path]: 'yes' } }] },
      });
      expect(pathless.decision).toMatchObject({ ok: false, rejection: { status: 400, scimType: 'invalidPath' } });
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
    }
    const group = given(ann(), {
      type: 'CreateGroup',
      scimId: 'g-eng',
      body: { schemas: [groupSchema], displayName: 'Engineering' },
    });
    expect(
      run(group, {
        type: 'PatchGroup',
        scimId: 'g-eng',
        body: { schemas: [patchOp], Operations: [{ op: 'add', path, value: 'yes' }] },
      }).decision,
    ).toMatchObject({ ok: false, rejection: { status: 400, scimType: 'invalidPath' } });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('directory groups', () => {
  const withGroup = () =>
    given(ann(), {
      type: 'CreateGroup',
      scimId: 'g-eng',
      body: { schemas: [groupSchema], displayName: 'Engineering', members: [{ value: 'u-ann', display: 'Ann Lee' }] },
    });

  it('keeps members by id only: their display names a person and is not kept', () => {
    const created = withGroup();
    expect(created.groups.get('g-eng')).toMatchObject({ displayName: 'Engineering', memberScimIds: ['u-ann'] });
    expect(JSON.stringify([...created.groups.values()])).not.toContain('Ann Lee');
  });

  it('a member that is no user of the directory is 400 invalidValue', () => {
    expect(
      run(initialDirectoryState(), {
        type: 'CreateGroup',
        scimId: 'g',
        body: { schemas: [groupSchema], displayName: 'X', members: [{ value: 'ghost' }] },
      }).decision,
    ).toMatchObject({ ok: false, rejection: { status: 400, scimType: 'invalidValue' } });
  });

  it('PATCH of members is DirectoryGroupMembersChanged; a rename is DirectoryGroupReplaced', () => {
    const state = given(
      ann(),
      { ...ann(), scimId: 'u-bob', body: { schemas: [userSchema], userName: 'bob' } },
      {
        type: 'CreateGroup',
        scimId: 'g-eng',
        body: { schemas: [groupSchema], displayName: 'Engineering', members: [{ value: 'u-ann' }] },
      },
    );
    const members = run(state, {
      type: 'PatchGroup',
      scimId: 'g-eng',
      body: {
        schemas: [patchOp],
        Operations: [
          { op: 'add', path: 'members', value: [{ value: 'u-bob' }] },
          { op: 'remove', path: 'members[value eq "u-ann"]' },
        ],
      },
    });
    expect(eventsOf(members.decision)).toEqual([
      {
        type: 'DirectoryGroupMembersChanged',
        data: { directoryId: 'dir_1', occurredAt: now, scimId: 'g-eng', added: ['u-bob'], removed: ['u-ann'] },
      },
    ]);
    const renamed = run(members.state, {
      type: 'PatchGroup',
      scimId: 'g-eng',
      body: { schemas: [patchOp], Operations: [{ op: 'Replace', path: 'displayName', value: 'Eng' }] },
    });
    expect(eventsOf(renamed.decision)).toMatchObject([
      { type: 'DirectoryGroupReplaced', data: { displayName: 'Eng', memberScimIds: ['u-bob'] } },
    ]);
  });

  it('deleting a user takes them out of every group', () => {
    const state = run(withGroup(), { type: 'DeleteUser', scimId: 'u-ann' }).state;
    expect(state.users.has('u-ann')).toBe(false);
    expect(state.groups.get('g-eng')!.memberScimIds).toEqual([]);
  });
});

describe('large groups', () => {
  /** A directory of `count` users (u-0…), built directly: provisioning them one by one checks uniqueness each time. */
  const directoryOf = (count: number, groupMembers: readonly string[]): DirectoryStreamState => {
    const users = new Map<string, DirectoryUserRecord>();
    for (let i = 0; i < count; i++)
      users.set(`u-${i}`, {
        scimId: `u-${i}`,
        memberUserId: `m-${i}`,
        schemas: [userSchema],
        active: true,
        personal: { userName: `user${i}`, attributes: {} },
        created: now,
        lastModified: now,
        version: 1,
      });
    const group = {
      scimId: 'g',
      displayName: 'G',
      memberScimIds: groupMembers,
      created: now,
      lastModified: now,
      version: 1,
    };
    return { users, groups: new Map([['g', group]]) };
  };
  const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `u-${from + i}`);
  const groupBody = (memberScimIds: readonly string[]) => ({
    schemas: [groupSchema],
    displayName: 'G',
    members: memberScimIds.map((value) => ({ value })),
  });

  it('compares a replaced member list with the stored one reading each stored id a bounded number of times', () => {
    const n = 2000;
    let reads = 0;
    const stored = new Proxy(ids(0, n), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const decision = run(directoryOf(2 * n, stored), {
      type: 'ReplaceGroup',
      scimId: 'g',
      body: groupBody(ids(0, 2 * n)),
    });
    expect(eventsOf(decision.decision)).toMatchObject([
      { type: 'DirectoryGroupReplaced', data: { memberScimIds: ids(0, 2 * n) } },
    ]);
    expect(reads).toBeLessThanOrEqual(4 * n);
  });

  // Its speed is measured by the reads above, never by a clock: this checks the large fold's result only.
  it('folds a members change adding 30,000 to a group of 30,000 into the union, in order', () => {
    const n = 30_000;
    const changed: DirectoryEvent = {
      type: 'DirectoryGroupMembersChanged',
      data: { directoryId: 'dir_1', occurredAt: now, scimId: 'g', added: ids(n, 2 * n), removed: [] },
    };
    const state = evolveDirectory(directoryOf(2 * n, ids(0, n)), changed);
    expect(state.groups.get('g')!.memberScimIds).toEqual(ids(0, 2 * n));
  });
});
