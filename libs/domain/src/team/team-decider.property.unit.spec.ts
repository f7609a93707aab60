import fc from 'fast-check';
import {
  permissionGroupRules,
  permissionGroups,
  planRules,
  plans,
  projectRoles,
  teamRoles,
  type ProjectRole,
} from '../policy/policy';
import type { SecurityChange, TeamCommand } from './commands';
import { decide, requiredPermissions } from './decide';
import { checkPermission } from './effective-permissions';
import { evolve, initialTeamState, type ActiveTeam, type MemberState, type TeamState } from './state';

const users = ['u0', 'u1', 'u2', 'u3', 'u4'];
const projects = ['p0', 'p1', 'p2'];
const user = fc.constantFrom(...users);
const project = fc.constantFrom(...projects);
const teamRole = fc.constantFrom(...teamRoles);
const group = fc.constantFrom(...permissionGroups);
const securityChange: fc.Arbitrary<SecurityChange> = fc.oneof(
  fc.boolean().map((enabled) => ({ setting: 'firewall', enabled }) as const),
  fc.constantFrom('10.0.0.0/8', '2001:db8::/32', 'bad').map((cidr) => ({ setting: 'ipBlock.add', cidr }) as const),
  fc.constantFrom('10.0.0.0/8').map((cidr) => ({ setting: 'ipBlock.remove', cidr }) as const),
  fc
    .constantFrom('none', 'preview', 'all' as const)
    .map((scope) => ({ setting: 'vercelAuthentication', scope }) as const),
  fc.boolean().map((enabled) => ({ setting: 'passwordProtection', enabled }) as const),
);

type Step = { actor: string; aim: number; body: Omit<TeamCommand, 'teamId' | 'metadata'> };
const step: fc.Arbitrary<Step> = fc.record({
  aim: fc.nat(9999),
  // The first user is the creator and the likeliest owner; biasing towards it keeps histories eventful.
  actor: fc.oneof({ weight: 3, arbitrary: fc.constant('u0') }, { weight: 4, arbitrary: user }),
  body: fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({ type: fc.constant('AddMember'), data: fc.record({ userId: user, role: teamRole }) }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ type: fc.constant('ChangeTeamRole'), data: fc.record({ userId: user, role: teamRole }) }),
    },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('RemoveMember'), data: fc.record({ userId: user }) }) },
    {
      weight: 3,
      arbitrary: fc.record({ type: fc.constant('GrantPermissionGroup'), data: fc.record({ userId: user, group }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ type: fc.constant('RevokePermissionGroup'), data: fc.record({ userId: user, group }) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constant('CreateProject'),
        data: fc.record({ projectId: project, name: fc.constant('P') }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ type: fc.constant('DeleteProject'), data: fc.record({ projectId: project }) }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        type: fc.constant('AssignProjectRole'),
        data: fc.record({ projectId: project, userId: user, role: fc.constantFrom(...projectRoles) }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant('RevokeProjectRole'),
        data: fc.record({ projectId: project, userId: user }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ type: fc.constant('ChangePlan'), data: fc.record({ plan: fc.constantFrom(...plans) }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ type: fc.constant('RenameTeam'), data: fc.record({ name: fc.constantFrom('A', 'B') }) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constant('ChangeProjectSecurity'),
        data: fc.record({ projectId: project, changes: fc.array(securityChange, { minLength: 1, maxLength: 3 }) }),
      }),
    },
  ) as fc.Arbitrary<Step['body']>,
});

function assertInvariants(team: ActiveTeam): void {
  const members = Object.values(team.members);
  const rules = planRules[team.plan];
  // team.at-least-one-owner
  expect(members.some((m) => m.role.value === 'owner')).toBe(true);
  for (const role of teamRoles) {
    const limit = rules.roleLimits[role];
    // plan.role-limit (Pro billing ≤ 1, hobby owner ≤ 1)
    if (limit !== undefined) expect(members.filter((m) => m.role.value === role).length).toBeLessThanOrEqual(limit);
  }
  for (const member of members) {
    // plan.role-available
    expect(rules.teamRoles).toContain(member.role.value);
    // project-role.contributor-only
    if (member.role.value !== 'contributor') expect(member.projectRoles).toEqual({});
    for (const projectId of Object.keys(member.projectRoles)) expect(team.projects[projectId]).toBeDefined();
    for (const g of permissionGroups) {
      if (!member.permissionGroups[g]) continue;
      // permission-group.compatible-role and permission-group.not-already-included
      expect(permissionGroupRules[g].compatibleWith).toContain(member.role.value);
      expect(permissionGroupRules[g].includedIn).not.toContain(member.role.value);
      expect(rules.permissionGroups).toBe(true);
    }
  }
}

/** Mostly aim commands at members and projects that exist, so that random histories get far. */
function aimed({ actor, aim, body }: Step, state: ActiveTeam, i: number): TeamCommand {
  const members = Object.keys(state.members).sort();
  const existingProjects = Object.keys(state.projects).sort();
  const data = { ...(body.data as Record<string, unknown>) };
  const contributors = members.filter((u) => state.members[u]!.role.value === 'contributor');
  const targets = body.type.endsWith('ProjectRole') && contributors.length ? contributors : members;
  if (aim % 10 < 8 && 'userId' in data && body.type !== 'AddMember') data['userId'] = targets[aim % targets.length];
  if (aim % 7 < 5 && 'projectId' in data && body.type !== 'CreateProject' && existingProjects.length) {
    data['projectId'] = existingProjects[aim % existingProjects.length];
  }
  const actorId = aim % 5 < 3 ? members[Math.floor(aim / 10) % members.length]! : actor;
  return { ...body, data, teamId: 't', metadata: { actorId, now: `t${i + 1}` } } as TeamCommand;
}

const projectRoleRank: Record<ProjectRole, number> = { project_viewer: 1, project_developer: 2, project_admin: 3 };

/** Nobody but an owner raises their own team role, groups or project roles by their own command. */
function assertNoSelfElevation(before: MemberState, after: MemberState | undefined): void {
  if (!after) return;
  expect(after.role.value).toBe(before.role.value);
  for (const g of permissionGroups) if (after.permissionGroups[g]) expect(before.permissionGroups[g]).toBeDefined();
  for (const [projectId, grant] of Object.entries(after.projectRoles)) {
    const had = before.projectRoles[projectId];
    expect(had).toBeDefined();
    expect(projectRoleRank[grant.value]).toBeLessThanOrEqual(projectRoleRank[had!.value]);
  }
}

describe('team decider properties over random command sequences (random actors included)', () => {
  it('keeps every POLICY.md invariant, authorizes every accepted command, and lets nobody but an owner raise their own rights', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...plans),
        fc.array(step, { minLength: 20, maxLength: 120, size: 'max' }),
        (plan, steps) => {
          let state: TeamState = initialTeamState();
          const created = decide(
            { type: 'CreateTeam', teamId: 't', data: { name: 'T', plan }, metadata: { actorId: 'u0', now: 't0' } },
            state,
          );
          if (!created.ok) throw new Error('creation refused');
          state = created.events.reduce(evolve, state);
          steps.forEach((step, i) => {
            const before = state as ActiveTeam;
            const command = aimed(step, before, i);
            const actor = command.metadata.actorId;
            const decision = decide(command, before);
            if (!decision.ok) return;
            for (const need of requiredPermissions(command)) {
              expect(checkPermission(before, actor, need.permission, need.projectId).allowed).toBe(true);
            }
            state = decision.events.reduce(evolve, state);
            const after = state as ActiveTeam;
            assertInvariants(after);
            const actorBefore = before.members[actor];
            if (actorBefore && actorBefore.role.value !== 'owner')
              assertNoSelfElevation(actorBefore, after.members[actor]);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a rejected decision leaves the folded state exactly as it was (nothing to append)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 60, size: 'max' }), (steps) => {
        let state: TeamState = initialTeamState();
        const created = decide(
          {
            type: 'CreateTeam',
            teamId: 't',
            data: { name: 'T', plan: 'enterprise' },
            metadata: { actorId: 'u0', now: 't0' },
          },
          state,
        );
        if (!created.ok) throw new Error('creation refused');
        state = created.events.reduce(evolve, state);
        for (const [i, step] of steps.entries()) {
          const command = aimed(step, state as ActiveTeam, i);
          const snapshot = JSON.stringify(state);
          const decision = decide(command, state);
          expect(JSON.stringify(state)).toBe(snapshot);
          if (decision.ok) state = decision.events.reduce(evolve, state);
        }
      }),
      { numRuns: 100 },
    );
  });
});
