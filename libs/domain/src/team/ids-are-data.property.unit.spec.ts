import fc from 'fast-check';
import { plans, type Plan } from '../policy/policy';
import { aimed, assertInvariants, projects, step, users, type Step } from '../testing/random-team-history';
import { stateText } from '../testing/state-text';
import type { TeamCommand } from './commands';
import { decide } from './decide';
import { checkPermission, effectivePermissions } from './effective-permissions';
import { evolve, initialTeamState, type ActiveTeam, type TeamState } from './state';

/** Names every plain object inherits or treats specially: as ids they must behave like any other id. */
export const builtInPropertyNames = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'prototype',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupGetter__',
  'length',
  'name',
] as const;

const TEAM = 't';
type Renaming = ReadonlyMap<string, string>;

/** Records in commands and events whose keys are ids (the rest have field names as keys). */
const keyedByIds = new Set(['projectRoles']);

/** Replaces every string value, and every key of an id-keyed record, that is exactly a renamed id. */
function renamed<T>(value: T, renaming: Renaming, keysAreIds = false): T {
  if (typeof value === 'string') return (renaming.get(value) ?? value) as T;
  if (Array.isArray(value)) return value.map((inner: unknown) => renamed(inner, renaming)) as T;
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [key, inner] of Object.entries(value)) {
      copy[keysAreIds ? (renaming.get(key) ?? key) : key] = renamed(inner, renaming, keyedByIds.has(key));
    }
    return copy as T;
  }
  return value;
}

/** Order-free text of a list (cascades and permissions are sorted by id, and renaming changes the order). */
const asSet = (values: readonly unknown[]): string[] => values.map((v) => JSON.stringify(v)).sort();

interface Outcome {
  decision:
    { ok: true; events: unknown[] } | { ok: false; kind: string; rule?: string; permission?: string; field?: string };
  permissions: Array<[string, unknown[]]>;
  checks: Array<[string, string | null, boolean]>;
}

/** Outcomes named back to ordinary ids, with order-free lists as sorted text. */
const comparable = (outcomes: readonly Outcome[], back: Renaming) =>
  renamed(outcomes, back).map(({ decision, permissions, checks }) => ({
    decision: decision.ok ? { ok: true, events: asSet(decision.events) } : decision,
    permissions: permissions.map(([userId, held]) => [userId, asSet(held)]),
    checks: asSet(checks),
  }));

/** Runs a history of concrete commands and records, per step, the decision and everybody's permissions and checks. */
function run(
  plan: Plan,
  owner: string,
  commands: readonly TeamCommand[],
  ids: readonly string[],
  projectIds: readonly string[],
) {
  let state: TeamState = initialTeamState();
  const created = decide(
    {
      type: 'CreateTeam',
      teamId: commands[0]?.teamId ?? TEAM,
      data: { name: 'T', plan },
      metadata: { actorId: owner, now: 't0' },
    },
    state,
  );
  if (!created.ok) throw new Error('creation refused');
  state = created.events.reduce(evolve, state);
  const outcomes: Outcome[] = [];
  for (const command of commands) {
    const decision = decide(command, state);
    if (decision.ok) state = decision.events.reduce(evolve, state);
    assertInvariants(state as ActiveTeam);
    const permissions: Outcome['permissions'] = [];
    const checks: Outcome['checks'] = [];
    for (const userId of ids) {
      permissions.push([userId, effectivePermissions(state, userId)]);
      for (const projectId of [...projectIds, undefined]) {
        const check = checkPermission(state, userId, 'project.view', projectId);
        checks.push([userId, projectId ?? null, check.allowed]);
      }
    }
    outcomes.push({
      decision: decision.ok
        ? { ok: true, events: decision.events }
        : {
            ok: false,
            kind: decision.rejection.kind,
            ...('rule' in decision.rejection ? { rule: decision.rejection.rule } : {}),
            ...('permission' in decision.rejection ? { permission: decision.rejection.permission } : {}),
            ...('field' in decision.rejection ? { field: decision.rejection.field } : {}),
          },
      permissions,
      checks,
    });
  }
  return { outcomes, state };
}

/** A renaming of the ordinary ids: some to built-in property names, the rest kept; one to one. */
const renaming: fc.Arbitrary<Renaming> = fc
  .tuple(
    fc.shuffledSubarray([...builtInPropertyNames], {
      minLength: users.length + projects.length + 1,
      maxLength: users.length + projects.length + 1,
    }),
    fc.array(fc.boolean(), {
      minLength: users.length + projects.length + 1,
      maxLength: users.length + projects.length + 1,
    }),
  )
  .map(([names, use]) => {
    const ordinary = [...users, ...projects, TEAM];
    return new Map(ordinary.flatMap((id, i) => (use[i] ? [[id, names[i]!] as [string, string]] : [])));
  });

describe('ids are data, never property names (issue: ids such as constructor or __proto__)', () => {
  it('a history whose user, project and team ids are built-in property names decides, folds and answers exactly as with ordinary ids', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...plans),
        fc.array(step, { minLength: 20, maxLength: 60, size: 'max' }),
        renaming,
        (plan, steps, names) => {
          // The commands are made concrete once, on ordinary ids, then the same commands are issued under the new names.
          let state: TeamState = initialTeamState();
          const created = decide(
            { type: 'CreateTeam', teamId: TEAM, data: { name: 'T', plan }, metadata: { actorId: 'u0', now: 't0' } },
            state,
          );
          if (!created.ok) throw new Error('creation refused');
          state = created.events.reduce(evolve, state);
          const commands: TeamCommand[] = [];
          steps.forEach((s: Step, i) => {
            const command = aimed(s, state as ActiveTeam, i);
            commands.push(command);
            const decision = decide(command, state);
            if (decision.ok) state = decision.events.reduce(evolve, state);
          });

          const ordinary = run(plan, 'u0', commands, users, projects);
          const inverse = new Map([...names].map(([from, to]) => [to, from]));
          const built = run(
            plan,
            names.get('u0') ?? 'u0',
            commands.map((c) => renamed(c, names)),
            users.map((u) => names.get(u) ?? u),
            projects.map((p) => names.get(p) ?? p),
          );
          expect(comparable(built.outcomes, inverse)).toEqual(comparable(ordinary.outcomes, new Map()));
          expect(built.state.status).toBe('active');
          const team = built.state as ActiveTeam;
          expect([...team.members.keys()].sort()).toEqual(
            [...(ordinary.state as ActiveTeam).members.keys()].map((u) => names.get(u) ?? u).sort(),
          );
          // A member or project that was never created is absent, whatever its name.
          for (const name of builtInPropertyNames) {
            if (![...names.values()].includes(name)) {
              expect(team.members.has(name)).toBe(false);
              expect(team.projects.has(name)).toBe(false);
              expect(checkPermission(team, name, 'team.view').allowed).toBe(false);
              expect(effectivePermissions(team, name)).toEqual([]);
            }
          }
          expect(stateText(built.state)).not.toContain('"[object ');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses to act on a member, project or role named after a built-in property that was never created', () => {
    const created = decide(
      {
        type: 'CreateTeam',
        teamId: 'constructor',
        data: { name: 'T', plan: 'enterprise' },
        metadata: { actorId: 'owner', now: 't0' },
      },
      initialTeamState(),
    );
    if (!created.ok) throw new Error('creation refused');
    const team = created.events.reduce(evolve, initialTeamState());
    for (const id of builtInPropertyNames) {
      const meta = { actorId: 'owner', now: 't1' };
      const onProject = decide(
        {
          type: 'AssignProjectRole',
          teamId: 'constructor',
          data: { projectId: id, userId: 'owner', role: 'project_viewer' },
          metadata: meta,
        },
        team,
      );
      expect(onProject).toMatchObject({ ok: false, rejection: { kind: 'not_found' } });
      const add = decide(
        { type: 'AddMember', teamId: 'constructor', data: { userId: id, role: 'member' }, metadata: meta },
        team,
      );
      expect(add.ok).toBe(true);
      const project = decide(
        { type: 'CreateProject', teamId: 'constructor', data: { projectId: id, name: 'P' }, metadata: meta },
        team,
      );
      expect(project.ok).toBe(true);
      const remove = decide(
        { type: 'RemoveMember', teamId: 'constructor', data: { userId: id }, metadata: meta },
        team,
      );
      expect(remove).toMatchObject({ ok: false, rejection: { kind: 'not_found' } });
      expect(checkPermission(team, 'owner', 'project.view', id).allowed).toBe(false);
    }
  });
});
