import {
  permissionGroupRules,
  planRules,
  policyVersion,
  ruleIds,
  type Permission,
  type PermissionGroup,
  type TeamRole,
} from '../../policy/policy';
import type { TeamCommand } from '../commands';
import type { CascadeCause, ProjectSecurity, TeamEvent, TeamEventBase } from '../events';
import type { Decision, Rejection } from '../rejection';
import { heldGroups, type ActiveTeam, type MemberState } from '../state';

/** The permission a command needs from its actor, and on which project. */
export interface RequiredPermission {
  permission: Permission;
  projectId?: string;
}

/** One command of the table: what it needs, the project it acts on (which must exist), and its decision. */
export interface CommandEntry<C extends TeamCommand> {
  /** Every permission the actor must hold (one per distinct need); none: any member of the platform. */
  requires(command: C): RequiredPermission[];
  /** The project the command acts on; checked to exist before the actor's rights (404 before 403). */
  project?(command: C): string;
  decide(command: C, team: ActiveTeam): Decision<TeamEvent>;
}

/** One entry per command type of an area, typed by its command. */
export type CommandEntries<T extends TeamCommand['type']> = {
  [K in T]: CommandEntry<Extract<TeamCommand, { type: K }>>;
};

/** New projects start with these settings; they are recorded in ProjectCreated so replay never depends on code defaults. */
export const defaultProjectSecurity = (): ProjectSecurity => ({
  firewall: { enabled: false },
  ipBlocks: [],
  rateLimitRules: [],
  deploymentProtection: {
    vercelAuthentication: 'preview',
    passwordProtection: { enabled: false },
    bypassTokens: [],
  },
});

export const reject = (rejection: Rejection): Decision<TeamEvent> => ({ ok: false, rejection });
export const accept = (...events: TeamEvent[]): Decision<TeamEvent> => ({ ok: true, events });

export const baseOf = (command: TeamCommand): TeamEventBase => ({
  teamId: command.teamId,
  actorId: command.metadata.actorId,
  occurredAt: command.metadata.now,
  ...(command.metadata.reason !== undefined ? { reason: command.metadata.reason } : {}),
  policyVersion,
});

export const countRole = (team: ActiveTeam, role: TeamRole, except?: string): number =>
  [...team.members.values()].filter((m) => m.role.value === role && m.userId !== except).length;

export function roleAllowedOnPlan(team: ActiveTeam, role: TeamRole, userId: string): Rejection | undefined {
  const rules = planRules[team.plan];
  if (!rules.teamRoles.includes(role)) {
    return {
      kind: 'policy',
      rule: ruleIds.planRoleAvailable,
      message: `the ${role} role is not available on the ${team.plan} plan (allowed: ${rules.teamRoles.join(', ')})`,
    };
  }
  const limit = rules.roleLimits[role];
  if (limit !== undefined && countRole(team, role, userId) + 1 > limit) {
    return {
      kind: 'policy',
      rule: ruleIds.planRoleLimit,
      message: `the ${team.plan} plan allows at most ${limit} member(s) with the ${role} role`,
    };
  }
  return undefined;
}

export function memberOf(team: ActiveTeam, userId: string): MemberState | Rejection {
  return (
    team.members.get(userId) ?? {
      kind: 'not_found',
      rule: ruleIds.memberInTeam,
      message: `${userId} is not a member of team ${team.id}`,
    }
  );
}

export const isRejection = (value: object): value is Rejection => 'kind' in value;

export const lastOwnerRejection = (userId: string): Rejection => ({
  kind: 'policy',
  rule: ruleIds.lastOwner,
  message: `${userId} is the team's only owner; at least one owner must remain`,
});

export function groupRefusal(role: TeamRole, group: PermissionGroup): Rejection | undefined {
  const rule = permissionGroupRules[group];
  if (rule.includedIn.includes(role)) {
    return {
      kind: 'policy',
      rule: ruleIds.groupAlreadyIncluded,
      message: `the ${role} role already includes the ${group} permission group`,
    };
  }
  if (!rule.compatibleWith.includes(role)) {
    return {
      kind: 'policy',
      rule: ruleIds.groupIncompatible,
      message: `the ${group} permission group may be granted only to: ${rule.compatibleWith.join(', ')} (not ${role})`,
    };
  }
  return undefined;
}

/** Events that end a member's explicit project roles and groups because of `cause`. */
export function endGrants(
  command: TeamCommand,
  member: MemberState,
  cause: CascadeCause,
  keep: { group: (g: PermissionGroup) => boolean; projectRoles: boolean },
): TeamEvent[] {
  const base = baseOf(command);
  const events: TeamEvent[] = [];
  for (const group of heldGroups(member)) {
    if (keep.group(group)) continue;
    events.push({
      type: 'PermissionGroupRevoked',
      data: { ...base, userId: member.userId, group, before: { group }, after: null, cause },
    });
  }
  if (!keep.projectRoles) {
    for (const projectId of [...member.projectRoles.keys()].sort()) {
      events.push({
        type: 'ProjectRoleRevoked',
        data: {
          ...base,
          projectId,
          userId: member.userId,
          before: { role: member.projectRoles.get(projectId)!.value },
          after: null,
          cause,
        },
      });
    }
  }
  return events;
}
