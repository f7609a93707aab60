import { teamDecider } from '../team/decide';
import { DeciderSpecification } from './decider-specification';
import type { CommandMetadata, TeamCommand } from '../team/commands';
import type { TeamEvent, TeamEventBase } from '../team/events';
import { defaultProjectSecurity } from '../team/decide';
import { policyVersion, type PermissionGroup, type Plan, type ProjectRole, type TeamRole } from '../policy/policy';

/** given(events).when(command).then(events) | .thenRejects(rejection) — Emmett-style decider specs. */
export const given = DeciderSpecification.for(teamDecider);

export const TEAM = 't1';
export const NOW = '2026-03-03T10:00:00.000Z';
export const EARLIER = '2026-01-01T09:00:00.000Z';

export const meta = (actorId: string, extra: Partial<CommandMetadata> = {}): CommandMetadata => ({
  actorId,
  now: NOW,
  ...extra,
});

export const cmd = <C extends TeamCommand>(type: C['type'], actorId: string, data: C['data']): TeamCommand =>
  ({ type, teamId: TEAM, data, metadata: meta(actorId) }) as TeamCommand;

const base = (actorId: string, occurredAt = EARLIER): TeamEventBase => ({
  teamId: TEAM,
  actorId,
  occurredAt,
  policyVersion,
});

/** Event builders for `given`, as earlier decisions would have recorded them. */
export const past = {
  teamCreated: (ownerId: string, plan: Plan, name = 'Acme'): TeamEvent => ({
    type: 'TeamCreated',
    data: { ...base(ownerId), name, plan, ownerId },
  }),
  memberAdded: (userId: string, role: TeamRole, by = 'owner1'): TeamEvent => ({
    type: 'MemberAdded',
    data: { ...base(by), userId, before: null, after: { role } },
  }),
  groupGranted: (userId: string, group: PermissionGroup, by = 'owner1'): TeamEvent => ({
    type: 'PermissionGroupGranted',
    data: { ...base(by), userId, group, before: null, after: { group } },
  }),
  projectCreated: (projectId: string, by = 'owner1', name = projectId): TeamEvent => ({
    type: 'ProjectCreated',
    data: { ...base(by), projectId, name, security: defaultProjectSecurity() },
  }),
  projectRoleAssigned: (projectId: string, userId: string, role: ProjectRole, by = 'owner1'): TeamEvent => ({
    type: 'ProjectRoleAssigned',
    data: { ...base(by), projectId, userId, before: null, after: { role } },
  }),
};

/** Base fields a decision made now by `actorId` records. */
export const now = (actorId: string, reason?: string): TeamEventBase => ({
  teamId: TEAM,
  actorId,
  occurredAt: NOW,
  ...(reason !== undefined ? { reason } : {}),
  policyVersion,
});

/** An Enterprise team with one of each role, a project and a contributor assigned to it. */
export const enterpriseTeam = (): TeamEvent[] => [
  past.teamCreated('owner1', 'enterprise'),
  past.memberAdded('member1', 'member'),
  past.memberAdded('dev1', 'developer'),
  past.memberAdded('sec1', 'security'),
  past.memberAdded('bill1', 'billing'),
  past.memberAdded('viewer1', 'enterprise_viewer'),
  past.memberAdded('contrib1', 'contributor'),
  past.projectCreated('web'),
  past.projectCreated('api'),
];

export const proTeam = (): TeamEvent[] => [
  past.teamCreated('owner1', 'pro'),
  past.memberAdded('member1', 'member'),
  past.memberAdded('pv1', 'pro_viewer'),
  past.projectCreated('web'),
];
