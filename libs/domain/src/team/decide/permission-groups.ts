import { planRules, ruleIds } from '../../policy/policy';
import type { GrantPermissionGroup, RevokePermissionGroup } from '../commands';
import type { TeamEvent } from '../events';
import type { Decision } from '../rejection';
import type { ActiveTeam } from '../state';
import { accept, baseOf, groupRefusal, isRejection, memberOf, reject, type CommandEntries } from './support';

function grantPermissionGroup(command: GrantPermissionGroup, team: ActiveTeam): Decision<TeamEvent> {
  const { userId, group } = command.data;
  if (!planRules[team.plan].permissionGroups) {
    return reject({
      kind: 'policy',
      rule: ruleIds.planPermissionGroups,
      message: `permission groups are not available on the ${team.plan} plan`,
    });
  }
  const member = memberOf(team, userId);
  if (isRejection(member)) return reject(member);
  if (member.permissionGroups.has(group)) return accept();
  const refusal = groupRefusal(member.role.value, group);
  if (refusal) return reject(refusal);
  return accept({
    type: 'PermissionGroupGranted',
    data: { ...baseOf(command), userId, group, before: null, after: { group } },
  });
}

function revokePermissionGroup(command: RevokePermissionGroup, team: ActiveTeam): Decision<TeamEvent> {
  const { userId, group } = command.data;
  const member = memberOf(team, userId);
  if (isRejection(member)) return reject(member);
  if (!member.permissionGroups.has(group)) {
    return reject({ kind: 'not_found', rule: ruleIds.groupNotHeld, message: `${userId} does not hold ${group}` });
  }
  return accept({
    type: 'PermissionGroupRevoked',
    data: { ...baseOf(command), userId, group, before: { group }, after: null },
  });
}

/** Permission groups (POLICY.md "Permission groups"). */
export const permissionGroupCommands: CommandEntries<'GrantPermissionGroup' | 'RevokePermissionGroup'> = {
  GrantPermissionGroup: {
    requires: () => [{ permission: 'team.permission-groups.manage' }],
    decide: grantPermissionGroup,
  },
  RevokePermissionGroup: {
    requires: () => [{ permission: 'team.permission-groups.manage' }],
    decide: revokePermissionGroup,
  },
};
