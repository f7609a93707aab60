import fc from 'fast-check';
import { TeamCommands, type TeamCommandInput } from '@access-audit/application';
import type { ActiveTeam, PermissionGroup, TeamRole } from '@access-audit/domain';
import { MemoryEventStore, StreamLocks } from '@access-audit/event-store';
import {
  desiredMembership,
  type DirectoryGroupView,
  type DirectoryRoleMapping,
  type DirectoryUserView,
} from './membership';
import { DirectoryReconciler } from './reconciler';

const TEAM = 'acme';
const OWNER = 'olga';
/** An owner's hand-added member, who may also appear in the directory. */
const HAND = 'hand';
const memberIds = ['__proto__', 'constructor', 'toString', 'ann', 'bob', HAND] as const;
const scimIds = ['__proto__', 'constructor', 'u1', 'u2', 'u3', 'u4'] as const;
const groupNames = ['__proto__', 'constructor', 'Engineering', 'Admins'] as const;

type Change =
  | { kind: 'createUser'; scimId: string; memberUserId: string; active: boolean }
  | { kind: 'setActive'; scimId: string; active: boolean }
  | { kind: 'deleteUser'; scimId: string }
  | { kind: 'groupMembers'; group: string; members: string[] }
  | { kind: 'mappings'; mappings: DirectoryRoleMapping[] }
  /** The same roles with other permission groups: the change that only grants and revokes. */
  | { kind: 'regroup'; pick: number[] };

// Few roles, so that drawn changes often keep a role and change only its groups.
const roles: TeamRole[] = ['member', 'developer', 'contributor', 'security'];
// Every mapping a role may hold (so the owner accepts each mapping list the property draws).
const groupsFor: Record<string, PermissionGroup[]> = {
  member: [],
  developer: ['create_project', 'environment_manager', 'usage_viewer'],
  security: ['usage_viewer'],
  billing: ['usage_viewer'],
  enterprise_viewer: ['usage_viewer'],
  contributor: ['create_project', 'full_production_deployment'],
};
const mappingArb = (group: string): fc.Arbitrary<DirectoryRoleMapping> =>
  fc.constantFrom(...roles).chain((role) =>
    fc.subarray(groupsFor[role]!).map((permissionGroups) => ({
      group,
      role,
      ...(permissionGroups.length > 0 ? { permissionGroups } : {}),
    })),
  );
const mappingsArb = (ownerMapped: boolean): fc.Arbitrary<DirectoryRoleMapping[]> =>
  fc
    .subarray(groupNames.filter((g) => g !== 'Admins'))
    .chain((names) => fc.tuple(...names.map(mappingArb)))
    .map((mappings) => (ownerMapped ? [...mappings, { group: 'Admins', role: 'owner' as const }] : mappings));

const changeArb = (ownerMapped: boolean): fc.Arbitrary<Change> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('createUser' as const),
      scimId: fc.constantFrom(...scimIds),
      memberUserId: fc.constantFrom(...memberIds),
      active: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('setActive' as const), scimId: fc.constantFrom(...scimIds), active: fc.boolean() }),
    fc.record({ kind: fc.constant('deleteUser' as const), scimId: fc.constantFrom(...scimIds) }),
    fc.record({
      kind: fc.constant('groupMembers' as const),
      group: fc.constantFrom(...groupNames),
      members: fc.subarray([...scimIds, 'nobody']),
    }),
    fc.record({ kind: fc.constant('mappings' as const), mappings: mappingsArb(ownerMapped) }),
    fc.record({ kind: fc.constant('regroup' as const), pick: fc.array(fc.nat(7), { maxLength: 6 }) }),
  );

/** The directory as the SCIM side would hold it: users and groups keyed by SCIM id (Maps: ids are data). */
class DirectoryModel {
  readonly users = new Map<string, DirectoryUserView>();
  readonly groups = new Map<string, DirectoryGroupView>(
    groupNames.map((g, i) => [
      g,
      { scimId: g, displayName: g, ...(i === 1 ? { externalId: 'ext-1' } : {}), memberScimIds: [] },
    ]),
  );
  mappings: DirectoryRoleMapping[] = [];
  /** Every member id the directory ever held: the reconcile's scope. */
  readonly everHeld = new Set<string>();

  apply(change: Change): void {
    switch (change.kind) {
      case 'createUser': {
        const taken = [...this.users.values()].some((u) => u.memberUserId === change.memberUserId);
        if (this.users.has(change.scimId) || taken) return;
        this.users.set(change.scimId, {
          scimId: change.scimId,
          memberUserId: change.memberUserId,
          active: change.active,
        });
        this.everHeld.add(change.memberUserId);
        return;
      }
      case 'setActive': {
        const user = this.users.get(change.scimId);
        if (user) this.users.set(change.scimId, { ...user, active: change.active });
        return;
      }
      case 'deleteUser':
        this.users.delete(change.scimId);
        return;
      case 'groupMembers':
        this.groups.set(change.group, { ...this.groups.get(change.group)!, memberScimIds: change.members });
        return;
      case 'mappings':
        this.mappings = change.mappings;
        return;
      case 'regroup':
        this.mappings = this.mappings.map((m, i) => {
          const allowed = m.role === 'owner' ? [] : groupsFor[m.role!]!;
          const chosen = allowed.filter((_, g) => change.pick.includes((g + i) % 8));
          const { permissionGroups: _old, ...rest } = m;
          return chosen.length > 0 ? { ...rest, permissionGroups: chosen } : rest;
        });
        return;
    }
  }
}

async function issue(commands: TeamCommands, actorId: string, input: TeamCommandInput): Promise<void> {
  const outcome = await commands.issue(input, { actorId, correlationId: `setup-${input.type}` });
  if (!outcome.ok) throw new Error(`${input.type} refused: ${JSON.stringify(outcome)}`);
}

async function teamState(commands: TeamCommands): Promise<ActiveTeam> {
  const { state } = await commands.current(TEAM);
  if (state.status !== 'active') throw new Error('no team');
  return state;
}

describe('DirectoryReconciler: after any sequence of directory changes, the team holds what the mappings say', () => {
  it('property: membership of provisioned and mapped users equals desiredMembership; hand-added members outside mapped groups stay', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean().chain((ownerMapped) =>
          fc.tuple(
            fc.constant(ownerMapped),
            fc.array(changeArb(ownerMapped), { minLength: 1, maxLength: 20 }),
            // A directory already in use when the property starts: users, group members and mappings.
            fc.tuple(
              fc.array(
                fc.record({
                  kind: fc.constant('createUser' as const),
                  scimId: fc.constantFrom(...scimIds),
                  memberUserId: fc.constantFrom(...memberIds),
                  active: fc.constantFrom(true, true, false),
                }),
                { maxLength: 6 },
              ),
              fc.tuple(
                ...groupNames.map((group) =>
                  fc.record({
                    kind: fc.constant('groupMembers' as const),
                    group: fc.constant(group),
                    members: fc.subarray([...scimIds]),
                  }),
                ),
              ),
              fc.record({ kind: fc.constant('mappings' as const), mappings: mappingsArb(ownerMapped) }),
            ),
          ),
        ),
        async ([ownerMapped, later, [users, members, mappings]]) => {
          const changes: Change[] = [...users, ...members, mappings, ...later];
          let clock = Date.parse('2026-06-01T00:00:00Z');
          const commands = new TeamCommands({
            store: new MemoryEventStore(),
            locks: new StreamLocks(),
            now: () => new Date((clock += 1_000)),
          });
          await issue(commands, OWNER, {
            type: 'CreateTeam',
            teamId: TEAM,
            data: { name: 'Acme', plan: 'enterprise' },
          });
          await issue(commands, OWNER, { type: 'AddMember', teamId: TEAM, data: { userId: HAND, role: 'billing' } });
          await issue(commands, OWNER, {
            type: 'ConnectDirectory',
            teamId: TEAM,
            data: { directoryId: 'dir-1', name: 'Okta', tokenHash: 'a'.repeat(64) },
          });
          const reconciler = new DirectoryReconciler({ commands });
          const directory = new DirectoryModel();
          if (ownerMapped) directory.apply({ kind: 'mappings', mappings: [{ group: 'Admins', role: 'owner' }] });
          await issue(commands, OWNER, {
            type: 'SetDirectoryRoleMappings',
            teamId: TEAM,
            data: {
              mappings: directory.mappings.map((m) => ({ ...m, permissionGroups: [...(m.permissionGroups ?? [])] })),
            },
          });

          for (const [step, change] of changes.entries()) {
            directory.apply(change);
            if (change.kind === 'mappings' || change.kind === 'regroup') {
              await issue(commands, OWNER, {
                type: 'SetDirectoryRoleMappings',
                teamId: TEAM,
                data: {
                  mappings: directory.mappings.map((m) => ({
                    ...m,
                    permissionGroups: [...(m.permissionGroups ?? [])],
                  })),
                },
              });
            }
            const desired = desiredMembership(directory.users.values(), directory.groups.values(), directory.mappings);
            const outcome = await reconciler.reconcile(desired, [...directory.everHeld], {
              directoryId: 'dir-1',
              teamId: TEAM,
              correlationId: `scim-req-${step}`,
            });
            expect(outcome).toMatchObject({ ok: true });

            const team = await teamState(commands);
            for (const userId of directory.everHeld) {
              const want = desired.get(userId);
              const member = team.members.get(userId);
              if (want) {
                expect({
                  userId,
                  role: member?.role.value,
                  groups: member ? [...member.permissionGroups.keys()].sort() : [],
                }).toEqual({
                  userId,
                  role: want.role,
                  groups: [...want.permissionGroups].sort(),
                });
              } else if (userId === HAND) {
                expect(member).toBeDefined();
              } else {
                expect({ userId, member }).toEqual({ userId, member: undefined });
              }
            }
            expect(team.members.get(OWNER)?.role.value).toBe('owner');
            // Nothing else changes: no member beyond the owner, the hand-added one and the directory's.
            for (const userId of team.members.keys()) {
              expect([OWNER, HAND, ...directory.everHeld]).toContain(userId);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
    // 150 runs take 1.2 to 3.5 s on a busy 2-core machine: a deadline well past the 5 s default, not a speed bound.
  }, 60_000);

  it('a group dropped from the mappings is revoked; an owner-granted group and an owner-added member stay', async () => {
    const commands = new TeamCommands({
      store: new MemoryEventStore(),
      locks: new StreamLocks(),
      now: () => new Date('2026-06-01T00:00:00Z'),
    });
    await issue(commands, OWNER, { type: 'CreateTeam', teamId: TEAM, data: { name: 'Acme', plan: 'enterprise' } });
    await issue(commands, OWNER, { type: 'AddMember', teamId: TEAM, data: { userId: HAND, role: 'developer' } });
    await issue(commands, OWNER, {
      type: 'ConnectDirectory',
      teamId: TEAM,
      data: { directoryId: 'dir-1', name: 'Okta', tokenHash: 'a'.repeat(64) },
    });
    const mappings = [
      { group: 'Engineering', role: 'developer' as const, permissionGroups: ['create_project' as const] },
    ];
    await issue(commands, OWNER, { type: 'SetDirectoryRoleMappings', teamId: TEAM, data: { mappings } });
    const reconciler = new DirectoryReconciler({ commands });
    const ctx = { directoryId: 'dir-1', teamId: TEAM, correlationId: 'scim-req-1' };
    const developer = (...permissionGroups: PermissionGroup[]) => ({ role: 'developer' as const, permissionGroups });
    await reconciler.reconcile(new Map([['ann', developer('create_project')]]), ['ann', HAND], ctx);
    await issue(commands, OWNER, {
      type: 'GrantPermissionGroup',
      teamId: TEAM,
      data: { userId: 'ann', group: 'environment_manager' },
    });
    expect([...(await teamState(commands)).members.get('ann')!.permissionGroups.keys()]).toEqual([
      'create_project',
      'environment_manager',
    ]);
    expect(await reconciler.reconcile(new Map([['ann', developer()]]), ['ann', HAND], ctx)).toMatchObject({ ok: true });
    const team = await teamState(commands);
    expect([...team.members.get('ann')!.permissionGroups.keys()]).toEqual(['environment_manager']);
    expect(team.members.get(HAND)?.role.value).toBe('developer');
  });

  it('hands ownership from one directory owner to another without passing through a team with none', async () => {
    const commands = new TeamCommands({
      store: new MemoryEventStore(),
      locks: new StreamLocks(),
      now: () => new Date('2026-06-01T00:00:00Z'),
    });
    await issue(commands, OWNER, { type: 'CreateTeam', teamId: TEAM, data: { name: 'Acme', plan: 'enterprise' } });
    await issue(commands, OWNER, {
      type: 'ConnectDirectory',
      teamId: TEAM,
      data: { directoryId: 'dir-1', name: 'Okta', tokenHash: 'a'.repeat(64) },
    });
    await issue(commands, OWNER, {
      type: 'SetDirectoryRoleMappings',
      teamId: TEAM,
      data: {
        mappings: [
          { group: 'Admins', role: 'owner' },
          { group: 'Staff', role: 'member' },
        ],
      },
    });
    const reconciler = new DirectoryReconciler({ commands });
    const ctx = { directoryId: 'dir-1', teamId: TEAM, correlationId: 'scim-req-1' };
    const as = (role: TeamRole) => ({ role, permissionGroups: [] });
    await reconciler.reconcile(new Map([['boss', as('owner')]]), ['boss'], ctx);
    await issue(commands, OWNER, { type: 'RemoveMember', teamId: TEAM, data: { userId: OWNER } });
    // boss is now the only owner; the directory makes ann the owner and boss a member, boss listed first.
    const outcome = await reconciler.reconcile(
      new Map([
        ['boss', as('member')],
        ['ann', as('owner')],
      ]),
      ['boss', 'ann'],
      ctx,
    );
    expect(outcome).toMatchObject({ ok: true });
    const team = await teamState(commands);
    expect([...team.members.values()].map((m) => [m.userId, m.role.value])).toEqual([
      ['boss', 'member'],
      ['ann', 'owner'],
    ]);
  });

  it('every command it issues has the directory as actor and the SCIM request id as correlation', async () => {
    const store = new MemoryEventStore();
    const commands = new TeamCommands({ store, locks: new StreamLocks(), now: () => new Date('2026-06-01T00:00:00Z') });
    await issue(commands, OWNER, { type: 'CreateTeam', teamId: TEAM, data: { name: 'Acme', plan: 'enterprise' } });
    await issue(commands, OWNER, {
      type: 'ConnectDirectory',
      teamId: TEAM,
      data: { directoryId: 'dir-1', name: 'Okta', tokenHash: 'a'.repeat(64) },
    });
    await issue(commands, OWNER, {
      type: 'SetDirectoryRoleMappings',
      teamId: TEAM,
      data: { mappings: [{ group: 'Engineering', role: 'developer', permissionGroups: ['create_project'] }] },
    });
    const reconciler = new DirectoryReconciler({ commands });
    const desired = new Map([['ann', { role: 'developer' as const, permissionGroups: ['create_project' as const] }]]);
    const outcome = await reconciler.reconcile(desired, ['ann'], {
      directoryId: 'dir-1',
      teamId: TEAM,
      correlationId: 'scim-req-1',
      requestContext: { ip: '203.0.113.9', requestId: 'scim-req-1' },
    });
    expect(outcome).toMatchObject({ ok: true, positions: [expect.any(String), expect.any(String)] });
    const events = (await store.readStream('team-acme')).slice(-2);
    expect(
      events.map((e) => [e.type, e.metadata.actorId, e.metadata.correlationId, e.metadata.requestContext]),
    ).toEqual([
      ['MemberAdded', 'scim:dir-1', 'scim-req-1', { ip: '203.0.113.9', requestId: 'scim-req-1' }],
      ['PermissionGroupGranted', 'scim:dir-1', 'scim-req-1', { ip: '203.0.113.9', requestId: 'scim-req-1' }],
    ]);
  });

  it('stops at the first refusal, which is recorded as a denial, and names what it appended before', async () => {
    const denials: Array<{ type: string; rule: unknown }> = [];
    const commands = new TeamCommands({
      store: new MemoryEventStore(),
      locks: new StreamLocks(),
      now: () => new Date('2026-06-01T00:00:00Z'),
      denials: {
        record: async (command, rejection) => {
          denials.push({ type: command.type, rule: 'rule' in rejection ? rejection.rule : rejection.kind });
        },
      },
    });
    await issue(commands, OWNER, { type: 'CreateTeam', teamId: TEAM, data: { name: 'Acme', plan: 'enterprise' } });
    await issue(commands, OWNER, {
      type: 'ConnectDirectory',
      teamId: TEAM,
      data: { directoryId: 'dir-1', name: 'Okta', tokenHash: 'a'.repeat(64) },
    });
    await issue(commands, OWNER, {
      type: 'SetDirectoryRoleMappings',
      teamId: TEAM,
      data: { mappings: [{ group: 'Engineering', role: 'developer' }] },
    });
    const reconciler = new DirectoryReconciler({ commands });
    // The directory would demote the team's only owner: the policy refuses it (no mapping names owner).
    const desired = new Map<string, { role: TeamRole; permissionGroups: PermissionGroup[] }>([
      ['ann', { role: 'developer', permissionGroups: [] }],
      [OWNER, { role: 'developer', permissionGroups: [] }],
    ]);
    const outcome = await reconciler.reconcile(desired, ['ann', OWNER], {
      directoryId: 'dir-1',
      teamId: TEAM,
      correlationId: 'scim-req-2',
    });
    expect(outcome).toMatchObject({
      ok: false,
      refusal: { kind: 'policy', rule: 'directory.owner-needs-mapping' },
      appliedBefore: [expect.any(String)],
    });
    expect(denials).toEqual([{ type: 'ChangeTeamRole', rule: 'directory.owner-needs-mapping' }]);
    expect((await teamState(commands)).members.get(OWNER)?.role.value).toBe('owner');
  });
});
