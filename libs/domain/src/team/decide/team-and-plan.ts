import { planRules, ruleIds, teamRoles, type Plan } from '../../policy/policy';
import type { ChangePlan, CreateTeam, RenameTeam } from '../commands';
import type { TeamEvent } from '../events';
import type { Decision } from '../rejection';
import { heldGroups, type ActiveTeam, type TeamState } from '../state';
import { accept, baseOf, countRole, reject, type CommandEntries } from './support';

/** Creating a team is the one command without a team: it needs none to exist, and any user may issue it. */
export function createTeam(command: CreateTeam, state: TeamState): Decision<TeamEvent> {
  if (state.status === 'active') {
    return reject({ kind: 'conflict', rule: ruleIds.teamIdFree, message: `team ${command.teamId} already exists` });
  }
  return accept({
    type: 'TeamCreated',
    data: { ...baseOf(command), name: command.data.name, plan: command.data.plan, ownerId: command.metadata.actorId },
  });
}

function renameTeam(command: RenameTeam, team: ActiveTeam): Decision<TeamEvent> {
  if (team.name === command.data.name) return accept();
  return accept({
    type: 'TeamRenamed',
    data: { ...baseOf(command), before: { name: team.name }, after: { name: command.data.name } },
  });
}

/** Members and grants that the target plan would not allow; nothing is revoked silently. */
export function planChangeConflicts(
  team: ActiveTeam,
  plan: Plan,
): Array<{ userId: string; holds: string; message: string }> {
  const rules = planRules[plan];
  const conflicts: Array<{ userId: string; holds: string; message: string }> = [];
  for (const member of team.members.values()) {
    const role = member.role.value;
    if (!rules.teamRoles.includes(role)) {
      conflicts.push({ userId: member.userId, holds: role, message: `the ${role} role is not available on ${plan}` });
    }
    if (!rules.permissionGroups) {
      for (const group of heldGroups(member)) {
        conflicts.push({
          userId: member.userId,
          holds: group,
          message: `permission groups are not available on ${plan}`,
        });
      }
    }
    if (!rules.projectRoles) {
      for (const projectId of [...member.projectRoles.keys()]) {
        conflicts.push({
          userId: member.userId,
          holds: `${projectId}:${member.projectRoles.get(projectId)!.value}`,
          message: `project roles are not available on ${plan}`,
        });
      }
    }
  }
  if (team.directory && !rules.directorySync) {
    conflicts.push({
      userId: '*',
      holds: `directory:${team.directory.directoryId}`,
      message: `directory sync is not available on ${plan}; disconnect the directory first`,
    });
  }
  for (const role of teamRoles) {
    const limit = rules.roleLimits[role];
    if (limit !== undefined && countRole(team, role) > limit) {
      conflicts.push({
        userId: '*',
        holds: role,
        message: `${plan} allows at most ${limit} member(s) with the ${role} role`,
      });
    }
  }
  return conflicts;
}

function changePlan(command: ChangePlan, team: ActiveTeam): Decision<TeamEvent> {
  const plan = command.data.plan;
  if (team.plan === plan) return accept();
  const conflicts = planChangeConflicts(team, plan);
  if (conflicts.length) {
    return reject({
      kind: 'policy',
      rule: ruleIds.planDowngradeConflict,
      message: `changing to ${plan} would leave ${conflicts.length} grant(s) the plan does not allow; change them first`,
      conflicts,
    });
  }
  return accept({
    type: 'TeamPlanChanged',
    data: { ...baseOf(command), before: { plan: team.plan }, after: { plan } },
  });
}

/** Team and plan (POLICY.md "Team roles" and "Plans"). */
export const teamAndPlanCommands: CommandEntries<'RenameTeam' | 'ChangePlan'> = {
  RenameTeam: { requires: () => [{ permission: 'team.settings.manage' }], decide: renameTeam },
  ChangePlan: { requires: () => [{ permission: 'team.plan.manage' }], decide: changePlan },
};
