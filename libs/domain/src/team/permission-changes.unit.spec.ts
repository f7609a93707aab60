import fc from 'fast-check';
import { aimed, createdTeam, step } from '../testing/random-team-history';
import type { TeamCommand } from './commands';
import { decide } from './decide';
import { effectivePermissions } from './effective-permissions';
import { permissionChanges, type EffectivePermissionChange } from './permission-changes';
import { evolve, initialTeamState, type ActiveTeam, type TeamState } from './state';

let clock = 0;
/** Decides and folds one command by `actorId`; fails the test when the domain refuses it. */
function apply(state: TeamState, body: Omit<TeamCommand, 'teamId' | 'metadata'>, actorId = 'alice'): TeamState {
  const command = { ...body, teamId: 't', metadata: { actorId, now: `t${++clock}` } } as TeamCommand;
  const decision = decide(command, state);
  if (!decision.ok) throw new Error(`refused: ${decision.rejection.message}`);
  return decision.events.reduce(evolve, state);
}

const team = (): TeamState => createdTeam('enterprise', 't', 'alice');
const every = (state: TeamState, userId: string, change: 'granted' | 'revoked'): EffectivePermissionChange[] =>
  effectivePermissions(state, userId).map(({ projectId, permission }) => ({ userId, projectId, permission, change }));

/** The diff without the shortcut: every user of either state, compared in full. */
function everyUsersDiff(before: TeamState, after: TeamState): string[] {
  const ids = new Set<string>();
  for (const state of [before, after])
    if (state.status === 'active') for (const id of state.members.keys()) ids.add(id);
  const text: string[] = [];
  for (const userId of ids) {
    const held = new Set(effectivePermissions(before, userId).map((p) => JSON.stringify([p.projectId, p.permission])));
    const holds = new Set(effectivePermissions(after, userId).map((p) => JSON.stringify([p.projectId, p.permission])));
    for (const key of held) if (!holds.has(key)) text.push(JSON.stringify([userId, key, 'revoked']));
    for (const key of holds) if (!held.has(key)) text.push(JSON.stringify([userId, key, 'granted']));
  }
  return text.sort();
}
const asText = (changes: EffectivePermissionChange[]): string[] =>
  changes.map((c) => JSON.stringify([c.userId, JSON.stringify([c.projectId, c.permission]), c.change])).sort();

describe('permissionChanges (the impact preview of a command)', () => {
  it('creating a team grants its first owner every permission the owner role holds, nothing else', () => {
    const after = team();
    expect(permissionChanges(initialTeamState(), after)).toEqual(every(after, 'alice', 'granted'));
    expect(permissionChanges(initialTeamState(), after).length).toBeGreaterThan(0);
  });

  it('adding a member grants them their role; removing them revokes all they held; nobody else changes', () => {
    const before = apply(apply(team(), { type: 'CreateProject', data: { projectId: 'web', name: 'Web' } }), {
      type: 'AddMember',
      data: { userId: 'carol', role: 'member' },
    });
    const added = apply(before, { type: 'AddMember', data: { userId: 'bob', role: 'developer' } });
    expect(permissionChanges(before, added)).toEqual(every(added, 'bob', 'granted'));
    expect(every(added, 'bob', 'granted').some((c) => c.projectId === 'web')).toBe(true);
    const removed = apply(added, { type: 'RemoveMember', data: { userId: 'bob' } });
    expect(permissionChanges(added, removed)).toEqual(every(added, 'bob', 'revoked'));
  });

  it('a role change lists what is lost before what is gained, and only the differences', () => {
    const before = apply(team(), { type: 'AddMember', data: { userId: 'bob', role: 'member' } });
    const after = apply(before, { type: 'ChangeTeamRole', data: { userId: 'bob', role: 'owner' } });
    const changes = permissionChanges(before, after);
    const held = new Set(effectivePermissions(before, 'bob').map((p) => `${p.projectId}/${p.permission}`));
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((c) => c.change === 'granted' && !held.has(`${c.projectId}/${c.permission}`))).toBe(true);
    const back = permissionChanges(after, before);
    expect(back).toEqual(changes.map((c) => ({ ...c, change: 'revoked' })));
  });

  it('a change that touches no grant (a rename, a security setting) changes no permission', () => {
    const before = apply(team(), { type: 'CreateProject', data: { projectId: 'web', name: 'Web' } });
    expect(permissionChanges(before, apply(before, { type: 'RenameTeam', data: { name: 'Other' } }))).toEqual([]);
    const secured = apply(before, {
      type: 'ChangeProjectSecurity',
      data: { projectId: 'web', changes: [{ setting: 'firewall', enabled: true }] },
    });
    expect(permissionChanges(before, secured)).toEqual([]);
    expect(permissionChanges(before, before)).toEqual([]);
  });

  it('ids such as __proto__ and constructor are data: users and projects named so are diffed like any other', () => {
    let state = apply(team(), { type: 'CreateProject', data: { projectId: 'constructor', name: 'C' } });
    state = apply(state, { type: 'CreateProject', data: { projectId: '__proto__', name: 'P' } });
    state = apply(state, { type: 'AddMember', data: { userId: '__proto__', role: 'contributor' } });
    const before = apply(state, { type: 'AddMember', data: { userId: 'constructor', role: 'contributor' } });
    const after = apply(before, {
      type: 'AssignProjectRole',
      data: { projectId: '__proto__', userId: 'constructor', role: 'project_developer' },
    });
    const changes = permissionChanges(before, after);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes).toEqual(
      effectivePermissions(after, 'constructor')
        .filter((p) => p.projectId === '__proto__')
        .map(({ projectId, permission }) => ({ userId: 'constructor', projectId, permission, change: 'granted' })),
    );
    const deleted = apply(after, { type: 'DeleteProject', data: { projectId: '__proto__' } });
    const lost = permissionChanges(after, deleted);
    expect(lost.every((c) => c.change === 'revoked' && c.projectId === '__proto__')).toBe(true);
    expect(new Set(lost.map((c) => c.userId))).toEqual(new Set(['alice', 'constructor']));
  });

  it('equals the diff over every user in full, for every step of random histories (the shortcut skips no change)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 40, size: 'max' }), (steps) => {
        let state: TeamState = createdTeam();
        steps.forEach((s, i) => {
          const decision = decide(aimed(s, state as ActiveTeam, i), state);
          if (!decision.ok) return;
          const after = decision.events.reduce(evolve, state);
          expect(asText(permissionChanges(state, after))).toEqual(everyUsersDiff(state, after));
          state = after;
        });
      }),
      { numRuns: 100 },
    );
  });
});
