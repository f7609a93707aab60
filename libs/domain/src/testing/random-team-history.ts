import fc from 'fast-check';
import { permissionGroupRules, permissionGroups, planRules, plans, projectRoles, teamRoles } from '../policy/policy';
import type { SecurityChange, TeamCommand } from '../team/commands';
import { decide } from '../team/decide';
import { evolve, initialTeamState, type ActiveTeam } from '../team/state';
import type { Plan } from '../policy/policy';

/** Random team histories for property tests: the ordinary ids they use, steps, and how a step is aimed at a state. */
export const users = ['u0', 'u1', 'u2', 'u3', 'u4'];
export const projects = ['p0', 'p1', 'p2'];
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

export type Step = { actor: string; aim: number; body: Omit<TeamCommand, 'teamId' | 'metadata'> };
export const step: fc.Arbitrary<Step> = fc.record({
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

/** Mostly aim commands at members and projects that exist, so that random histories get far. */
export function aimed({ actor, aim, body }: Step, state: ActiveTeam, i: number): TeamCommand {
  const members = [...state.members.keys()].sort();
  const existingProjects = [...state.projects.keys()].sort();
  const data = { ...(body.data as Record<string, unknown>) };
  const contributors = members.filter((u) => state.members.get(u)!.role.value === 'contributor');
  const targets = body.type.endsWith('ProjectRole') && contributors.length ? contributors : members;
  if (aim % 10 < 8 && 'userId' in data && body.type !== 'AddMember') data['userId'] = targets[aim % targets.length];
  if (aim % 7 < 5 && 'projectId' in data && body.type !== 'CreateProject' && existingProjects.length) {
    data['projectId'] = existingProjects[aim % existingProjects.length];
  }
  const actorId = aim % 5 < 3 ? members[Math.floor(aim / 10) % members.length]! : actor;
  return { ...body, data, teamId: 't', metadata: { actorId, now: `t${i + 1}` } } as TeamCommand;
}

/** Every POLICY.md invariant a folded team must keep, as jest expectations. */
export function assertInvariants(team: ActiveTeam): void {
  const members = [...team.members.values()];
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
    if (member.role.value !== 'contributor') expect(member.projectRoles.size).toBe(0);
    for (const projectId of [...member.projectRoles.keys()]) expect(team.projects.get(projectId)).toBeDefined();
    for (const g of permissionGroups) {
      if (!member.permissionGroups.has(g)) continue;
      // permission-group.compatible-role and permission-group.not-already-included
      expect(permissionGroupRules[g].compatibleWith).toContain(member.role.value);
      expect(permissionGroupRules[g].includedIn).not.toContain(member.role.value);
      expect(rules.permissionGroups).toBe(true);
    }
  }
}

/** Team `t` as its creation by `u0` leaves it: where every random history starts. */
export function createdTeam(plan: Plan = 'enterprise', teamId = 't', ownerId = 'u0'): ActiveTeam {
  const created = decide(
    { type: 'CreateTeam', teamId, data: { name: 'T', plan }, metadata: { actorId: ownerId, now: 't0' } },
    initialTeamState(),
  );
  if (!created.ok) throw new Error('creation refused');
  return created.events.reduce(evolve, initialTeamState()) as ActiveTeam;
}
