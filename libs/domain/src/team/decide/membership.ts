import { ruleIds } from '../../policy/policy';
import type { AddMember, ChangeTeamRole, RemoveMember } from '../commands';
import type { TeamEvent } from '../events';
import type { Decision } from '../rejection';
import { heldGroups, type ActiveTeam } from '../state';
import {
  accept,
  baseOf,
  countRole,
  endGrants,
  groupRefusal,
  isRejection,
  lastOwnerRejection,
  memberOf,
  reject,
  roleAllowedOnPlan,
  type CommandEntries,
} from './support';

function addMember(command: AddMember, team: ActiveTeam): Decision<TeamEvent> {
  const { userId, role } = command.data;
  if (team.members.has(userId)) {
    return reject({ kind: 'policy', rule: ruleIds.memberAlreadyInTeam, message: `${userId} is already a member` });
  }
  const refusal = roleAllowedOnPlan(team, role, userId);
  if (refusal) return reject(refusal);
  return accept({ type: 'MemberAdded', data: { ...baseOf(command), userId, before: null, after: { role } } });
}

function changeTeamRole(command: ChangeTeamRole, team: ActiveTeam): Decision<TeamEvent> {
  const member = memberOf(team, command.data.userId);
  if (isRejection(member)) return reject(member);
  const from = member.role.value;
  const to = command.data.role;
  if (from === to) return accept();
  const refusal = roleAllowedOnPlan(team, to, member.userId);
  if (refusal) return reject(refusal);
  if (from === 'owner' && countRole(team, 'owner') === 1) return reject(lastOwnerRejection(member.userId));
  const changed: TeamEvent = {
    type: 'TeamRoleChanged',
    data: { ...baseOf(command), userId: member.userId, before: { role: from }, after: { role: to } },
  };
  const cascades = endGrants(
    command,
    member,
    { type: 'TeamRoleChanged', userId: member.userId, from, to },
    { group: (g) => groupRefusal(to, g) === undefined, projectRoles: to === 'contributor' },
  );
  return accept(changed, ...cascades);
}

function removeMember(command: RemoveMember, team: ActiveTeam): Decision<TeamEvent> {
  const member = memberOf(team, command.data.userId);
  if (isRejection(member)) return reject(member);
  if (member.role.value === 'owner' && countRole(team, 'owner') === 1) return reject(lastOwnerRejection(member.userId));
  const projectRoles = Object.fromEntries([...member.projectRoles].map(([p, g]) => [p, g.value]));
  const removed: TeamEvent = {
    type: 'MemberRemoved',
    data: {
      ...baseOf(command),
      userId: member.userId,
      before: { role: member.role.value, permissionGroups: heldGroups(member), projectRoles },
      after: null,
    },
  };
  const cascades = endGrants(
    command,
    member,
    { type: 'MemberRemoved', userId: member.userId },
    {
      group: () => false,
      projectRoles: false,
    },
  );
  return accept(removed, ...cascades);
}

/** Membership and team roles (POLICY.md "Team roles"). */
export const membershipCommands: CommandEntries<'AddMember' | 'ChangeTeamRole' | 'RemoveMember'> = {
  AddMember: { requires: () => [{ permission: 'team.members.invite' }], decide: addMember },
  ChangeTeamRole: { requires: () => [{ permission: 'team.members.roles.manage' }], decide: changeTeamRole },
  RemoveMember: {
    // Leaving a team needs no right (interpretation: everyone may leave; the last owner still may not).
    requires: (command) =>
      command.data.userId === command.metadata.actorId ? [] : [{ permission: 'team.members.roles.manage' }],
    decide: removeMember,
  },
};
