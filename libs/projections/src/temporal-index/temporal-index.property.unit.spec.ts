import fc from 'fast-check';
import {
  checkPermission,
  effectivePermissions,
  evolve,
  initialTeamState,
  permissionGroups,
  plans,
  projectRoles,
  teamRoles,
  type SecurityChange,
  type TeamState,
} from '@access-audit/domain';
import { asRecorded, compareSequence, TeamHistory, type CommandBody } from '../../../../test/fixtures/team-history';
import { AccessQueries } from '../access-queries';
import type { PermissionRef } from '../model';
import { digestReadModels } from '../digest';
import { AccessProjection } from '../projection/projection';
import { openReadModelDatabase } from '../schema';

const users = ['u0', 'u1', 'u2', 'u3'];
const projects = ['p0', 'p1', 'p2'];
const user = fc.constantFrom(...users);
const project = fc.constantFrom(...projects);

const body: fc.Arbitrary<CommandBody> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('AddMember' as const),
      data: fc.record({ userId: user, role: fc.constantFrom(...teamRoles) }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('ChangeTeamRole' as const),
      data: fc.record({ userId: user, role: fc.constantFrom(...teamRoles) }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('RemoveMember' as const), data: fc.record({ userId: user }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('GrantPermissionGroup' as const),
      data: fc.record({ userId: user, group: fc.constantFrom(...permissionGroups) }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('RevokePermissionGroup' as const),
      data: fc.record({ userId: user, group: fc.constantFrom(...permissionGroups) }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('CreateProject' as const),
      data: fc.record({ projectId: project, name: fc.constant('P') }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('DeleteProject' as const), data: fc.record({ projectId: project }) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('AssignProjectRole' as const),
      data: fc.record({ projectId: project, userId: user, role: fc.constantFrom(...projectRoles) }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('RevokeProjectRole' as const),
      data: fc.record({ projectId: project, userId: user }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('ChangePlan' as const),
      data: fc.record({ plan: fc.constantFrom(...plans) }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('ChangeProjectSecurity' as const),
      data: fc.record({
        projectId: project,
        changes: fc.boolean().map((enabled): SecurityChange[] => [{ setting: 'firewall', enabled }]),
      }),
    }),
  },
);

/** Commands an Enterprise owner gets accepted often: contributors, project roles, groups and role changes. */
const member = fc.constantFrom(...users.slice(1));
const accessBody: fc.Arbitrary<CommandBody> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('AddMember' as const),
      data: fc.record({
        userId: member,
        role: fc.constantFrom('contributor', 'contributor', 'developer', ...teamRoles),
      }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('ChangeTeamRole' as const),
      data: fc.record({ userId: member, role: fc.constantFrom('contributor', 'developer', ...teamRoles) }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('AssignProjectRole' as const),
      data: fc.record({ projectId: project, userId: member, role: fc.constantFrom(...projectRoles) }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('RevokeProjectRole' as const),
      data: fc.record({ projectId: project, userId: user }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('GrantPermissionGroup' as const),
      data: fc.record({ userId: member, group: fc.constantFrom(...permissionGroups) }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('RevokePermissionGroup' as const),
      data: fc.record({ userId: member, group: fc.constantFrom(...permissionGroups) }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('RemoveMember' as const), data: fc.record({ userId: user }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('CreateProject' as const),
      data: fc.record({ projectId: project, name: fc.constant('P') }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('DeleteProject' as const), data: fc.record({ projectId: project }) }),
  },
);
const ownerStep = fc.record({
  body: accessBody,
  gapMs: fc.constantFrom(0, 0, 1, 1000, 86_400_000),
  actorIsOwner: fc.constant(true),
});

// Several commands often share one instant (gap 0), so equal timestamps are exercised as much as distinct ones.
const step = fc.record({ body, gapMs: fc.constantFrom(0, 0, 1, 1000, 86_400_000), actorIsOwner: fc.boolean() });
const START = Date.parse('2025-01-01T00:00:00.000Z');

interface Generated {
  history: TeamHistory;
  /** Effective instant of each event, in order. */
  times: number[];
}

type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

function generate(plan: (typeof plans)[number], steps: Step[]): Generated {
  const history = new TeamHistory('t');
  const times: number[] = [];
  let now = START;
  const record = (events: unknown[]) => events.forEach(() => times.push(now));
  record(history.run('u0', new Date(now).toISOString(), { type: 'CreateTeam', data: { name: 'T', plan } }));
  for (const { body: command, gapMs, actorIsOwner } of steps) {
    now += gapMs;
    const state = history.state;
    const members = state.status === 'active' ? [...state.members.keys()].sort() : [];
    const owner =
      members.find((m) => state.status === 'active' && state.members.get(m)!.role.value === 'owner') ?? 'u0';
    const actor = actorIsOwner ? owner : (members[now % members.length] ?? 'u0');
    const outcome = history.tryRun(actor, new Date(now).toISOString(), command);
    if (outcome.ok) record(outcome.events);
  }
  return { history, times };
}

function project_(generated: Generated) {
  const db = openReadModelDatabase(':memory:');
  const projection = new AccessProjection(db, compareSequence);
  projection.apply(asRecorded('t', generated.history.events));
  return { db, projection, queries: new AccessQueries(projection) };
}

describe('temporal index (property)', () => {
  it('at every instant equals a fresh fold of the events up to that instant through effectivePermissions', () => {
    fc.assert(
      fc.property(fc.constantFrom(...plans), fc.array(step, { minLength: 5, maxLength: 60 }), (plan, steps) => {
        const generated = generate(plan, steps);
        const { queries } = project_(generated);
        const { events } = generated.history;
        const instants = [...new Set(generated.times)];
        const probes = [START - 1, ...instants.flatMap((t) => [t, t + 1])];
        for (const at of probes) {
          let state: TeamState = initialTeamState();
          events.forEach((event, index) => {
            if (generated.times[index]! <= at) state = evolve(state, event);
          });
          for (const userId of users) {
            const expected = effectivePermissions(state, userId).map((grant) => ({ userId, ...grant }));
            expect(queries.permissions('t', { userId }, at)).toEqual(expected);
            for (const projectId of projects) {
              const onProject = effectivePermissions(state, userId, projectId).map((grant) => ({ userId, ...grant }));
              expect(queries.permissions('t', { userId, projectId }, at)).toEqual(onProject);
            }
          }
        }
      }),
      { numRuns: 80 },
    );
  });

  it('at every instant equals a fresh fold, on Enterprise histories where the owner acts (project roles, groups and role changes accepted)', () => {
    const accepted = new Map<string, number>();
    const setUp = (body: CommandBody): Step => ({ body, gapMs: 0, actorIsOwner: true });
    const teamSetUp: Step[] = [
      ...projects.map((projectId) => setUp({ type: 'CreateProject', data: { projectId, name: 'P' } })),
      ...(['contributor', 'developer', 'contributor'] as const).map((role, index) =>
        setUp({ type: 'AddMember', data: { userId: users[index + 1]!, role } }),
      ),
    ];
    fc.assert(
      fc.property(fc.array(ownerStep, { minLength: 10, maxLength: 60 }), (steps) => {
        const generated = generate('enterprise', [...teamSetUp, ...steps]);
        for (const event of generated.history.events) accepted.set(event.type, (accepted.get(event.type) ?? 0) + 1);
        const { queries } = project_(generated);
        const { events } = generated.history;
        const probes = [...new Set(generated.times)].flatMap((t) => [t, t + 1]);
        let state: TeamState = initialTeamState();
        let folded = 0;
        for (const at of probes) {
          // Effective times never decrease, so each probe folds on from the previous one.
          while (folded < events.length && generated.times[folded]! <= at) state = evolve(state, events[folded++]!);
          for (const userId of users) {
            const expected = effectivePermissions(state, userId).map((grant) => ({ userId, ...grant }));
            expect(queries.permissions('t', { userId }, at)).toEqual(expected);
            for (const projectId of projects) {
              for (const grant of effectivePermissions(state, userId, projectId)) {
                const answer = queries.check('t', userId, grant.permission, grant.projectId ?? undefined, at);
                expect(answer).toEqual({ allowed: true, via: grant.via });
              }
              expect(queries.check('t', userId, 'project.deploy.production', projectId, at)).toEqual(
                checkPermission(state, userId, 'project.deploy.production', projectId),
              );
            }
          }
          const holders = queries.projectAccess('t', 'p1', 'project.deploy.production', at);
          const holding = users
            .map((userId) => ({ userId, ...checkPermission(state, userId, 'project.deploy.production', 'p1') }))
            .filter((answer) => answer.allowed)
            .map(({ userId, via }) => ({ userId, via }));
          expect(holders).toEqual(holding);
        }
      }),
      { numRuns: 40 },
    );
    // The histories did exercise what this property is about.
    for (const type of ['ProjectRoleAssigned', 'ProjectRoleRevoked', 'PermissionGroupGranted', 'TeamRoleChanged'])
      expect(accepted.get(type) ?? 0).toBeGreaterThan(10);
  });

  it('the change feed, replayed grant by grant, ends at the current effective permissions', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 5, maxLength: 80 }), (steps) => {
        const generated = generate('enterprise', steps);
        const { queries } = project_(generated);
        const held = new Set<string>();
        for (const change of queries.changes({ limit: 100_000 }).changes) {
          const key = `${change.userId}|${change.projectId}|${change.permission}`;
          if (change.change === 'granted') {
            expect(held.has(key)).toBe(false);
            held.add(key);
          } else {
            expect(held.delete(key)).toBe(true);
          }
        }
        const current = queries.permissions('t').map((g) => `${g.userId}|${g.projectId}|${g.permission}`);
        expect([...held].sort()).toEqual(current.sort());
      }),
      { numRuns: 100 },
    );
  });

  it('redelivering any part of the log, in batches of any size, builds the same read models (idempotent by position)', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 5, maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(100), fc.nat(20)), { minLength: 1, maxLength: 8 }),
        (steps, slices) => {
          const generated = generate('enterprise', steps);
          const once = project_(generated);
          const recorded = asRecorded('t', generated.history.events);
          const db = openReadModelDatabase(':memory:');
          const projection = new AccessProjection(db, compareSequence);
          let delivered = 0;
          // A subscription delivers in log order from the checkpoint; after a failure it may deliver again from earlier.
          for (const [start, length] of slices) {
            const from = Math.min(start, delivered);
            projection.apply(recorded.slice(from, from + length));
            delivered = Math.max(delivered, Math.min(recorded.length, from + length));
          }
          projection.apply(recorded);
          expect(digestReadModels(db)).toEqual(digestReadModels(once.db));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('member history and the change feed equal the diff of effectivePermissions at each event, however the log is cut into batches', () => {
    const setUp = (body: CommandBody): Step => ({ body, gapMs: 0, actorIsOwner: true });
    const teamSetUp: Step[] = [
      ...projects.map((projectId) => setUp({ type: 'CreateProject', data: { projectId, name: 'P' } })),
      ...(['contributor', 'developer'] as const).map((role, index) =>
        setUp({ type: 'AddMember', data: { userId: users[index + 1]!, role } }),
      ),
    ];
    fc.assert(
      fc.property(
        fc.array(fc.oneof(ownerStep, step), { minLength: 10, maxLength: 60 }),
        fc.array(fc.nat(80), { maxLength: 6 }),
        (steps, cuts) => {
          const generated = generate('enterprise', [...teamSetUp, ...steps]);
          const recorded = asRecorded('t', generated.history.events);
          const { db, queries } = project_(generated);
          // The same log again, delivered in batches cut at random points.
          const cutDb = openReadModelDatabase(':memory:');
          const cutProjection = new AccessProjection(cutDb, compareSequence);
          const bounds = [...new Set([0, ...cuts.map((cut) => Math.min(cut, recorded.length)), recorded.length])].sort(
            (a, b) => a - b,
          );
          for (let i = 1; i < bounds.length; i++) cutProjection.apply(recorded.slice(bounds[i - 1], bounds[i]));
          expect(digestReadModels(cutDb)).toEqual(digestReadModels(db));
          const cutQueries = new AccessQueries(cutProjection);

          const refs = (state: TeamState, userId: string) =>
            new Set(effectivePermissions(state, userId).map((g) => `${g.projectId ?? '-'} ${g.permission}`));
          const expectedFeed: string[] = [];
          const expectedHistory = new Map<string, string[]>(users.map((userId) => [userId, []]));
          let state: TeamState = initialTeamState();
          generated.history.events.forEach((event, index) => {
            const before = state;
            state = evolve(state, event);
            const position = recorded[index]!.position;
            const data = event.data as { userId?: string; ownerId?: string };
            const subject = event.type === 'TeamCreated' ? data.ownerId : data.userId;
            for (const userId of users) {
              const held = refs(before, userId);
              const holds = refs(state, userId);
              const granted = [...holds].filter((ref) => !held.has(ref)).sort();
              const revoked = [...held].filter((ref) => !holds.has(ref)).sort();
              for (const ref of revoked) expectedFeed.push(`${position} ${userId} revoked ${ref}`);
              for (const ref of granted) expectedFeed.push(`${position} ${userId} granted ${ref}`);
              if (granted.length || revoked.length || userId === subject)
                expectedHistory
                  .get(userId)!
                  .push(`${position} ${event.type} +${granted.join(',')} -${revoked.join(',')}`);
            }
          });
          for (const answers of [queries, cutQueries]) {
            const feed = answers
              .changes({ limit: 1_000_000 })
              .changes.map((c) => `${c.position} ${c.userId} ${c.change} ${c.projectId ?? '-'} ${c.permission}`);
            const byEventAndMember = (lines: string[]) =>
              lines
                .map((line) => line.split(' '))
                .sort((a, b) => Number(a[0]) - Number(b[0]) || (a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : 0))
                .map((parts) => parts.slice(0, 2).join(' '));
            // Log order, then member order within an event.
            expect(feed.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual(byEventAndMember(feed));
            expect([...feed].sort()).toEqual([...expectedFeed].sort());
            for (const userId of users) {
              const history = answers.memberHistory('t', userId).map((entry) => {
                const list = (refs: PermissionRef[]) =>
                  refs
                    .map((ref) => `${ref.projectId ?? '-'} ${ref.permission}`)
                    .sort()
                    .join(',');
                return `${entry.position} ${entry.type} +${list(entry.granted)} -${list(entry.revoked)}`;
              });
              expect(history).toEqual(expectedHistory.get(userId));
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
