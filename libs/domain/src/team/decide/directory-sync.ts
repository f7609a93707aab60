import {
  directoryIdOfActor,
  permissionGroups as allPermissionGroups,
  planRules,
  ruleIds,
  teamRoles,
  type RuleId,
} from '../../policy/policy';
import type { ConnectDirectory, DisconnectDirectory, SetDirectoryRoleMappings, TeamCommand } from '../commands';
import type { DirectoryRoleMappingRef, TeamEvent } from '../events';
import type { Decision, Rejection } from '../rejection';
import type { ActiveTeam, DirectoryRoleMappingState } from '../state';
import { accept, baseOf, groupRefusal, reject, roleAllowedOnPlan, type CommandEntries } from './support';

function connectDirectory(command: ConnectDirectory, team: ActiveTeam): Decision<TeamEvent> {
  const { name, tokenHash } = command.data;
  if (!planRules[team.plan].directorySync) {
    return reject({
      kind: 'policy',
      rule: ruleIds.planDirectorySync,
      message: `directory sync is not available on the ${team.plan} plan`,
    });
  }
  const base = baseOf(command);
  const current = team.directory;
  if (!current) {
    const directoryId = command.data.directoryId;
    return accept({
      type: 'DirectoryConnected',
      data: { ...base, directoryId, tokenHash, before: null, after: { directoryId, name } },
    });
  }
  // Connecting again rotates the token (API.md): the directory keeps its id, so its SCIM URL stays the same.
  const directoryId = current.directoryId;
  return accept({
    type: 'DirectoryTokenRotated',
    data: {
      ...base,
      directoryId,
      tokenHash,
      before: { directoryId, name: current.name },
      after: { directoryId, name },
    },
  });
}

function disconnectDirectory(command: DisconnectDirectory, team: ActiveTeam): Decision<TeamEvent> {
  const current = team.directory;
  if (!current) {
    return reject({
      kind: 'not_found',
      rule: ruleIds.directoryConnected,
      message: `team ${team.id} has no directory connected`,
    });
  }
  const { directoryId, name } = current;
  return accept({
    type: 'DirectoryDisconnected',
    data: { ...baseOf(command), directoryId, before: { directoryId, name }, after: null },
  });
}

const invalidMapping = (field: string, message: string): Rejection => ({
  kind: 'invalid',
  field,
  rule: ruleIds.directoryMappingValid,
  message,
});

/** The first thing wrong with a mapping list: malformed (400 naming the field) or against the policy (422). */
function mappingsRefusal(
  team: ActiveTeam,
  mappings: SetDirectoryRoleMappings['data']['mappings'],
): Rejection | undefined {
  const seen = new Set<string>();
  for (const [index, mapping] of mappings.entries()) {
    const at = `mappings[${index}]`;
    if (typeof mapping.group !== 'string' || mapping.group.length === 0) {
      return invalidMapping(`${at}.group`, `${at}.group must name a directory group (its displayName or externalId)`);
    }
    if (seen.has(mapping.group)) {
      return invalidMapping(`${at}.group`, `${at}.group maps a directory group already mapped above`);
    }
    seen.add(mapping.group);
    const groups = mapping.permissionGroups ?? [];
    if (mapping.role === undefined && groups.length === 0) {
      return invalidMapping(at, `${at} must give a role, permission groups, or both`);
    }
    if (mapping.role !== undefined && !(teamRoles as readonly string[]).includes(mapping.role)) {
      return invalidMapping(`${at}.role`, `${at}.role must be one of: ${teamRoles.join(', ')}`);
    }
    for (const [g, group] of groups.entries()) {
      if (!(allPermissionGroups as readonly string[]).includes(group)) {
        return invalidMapping(
          `${at}.permissionGroups[${g}]`,
          `${at}.permissionGroups[${g}] must be one of: ${allPermissionGroups.join(', ')}`,
        );
      }
      if (groups.indexOf(group) !== g) {
        return invalidMapping(`${at}.permissionGroups[${g}]`, `${at}.permissionGroups[${g}] repeats ${group}`);
      }
    }
    if (mapping.role !== undefined) {
      const planRefusal = roleAllowedOnPlan(team, mapping.role, '');
      if (planRefusal && planRefusal.kind === 'policy' && planRefusal.rule === ruleIds.planRoleAvailable) {
        return planRefusal;
      }
      for (const group of groups) {
        const refusal = groupRefusal(mapping.role, group);
        if (refusal) return refusal;
      }
    }
  }
  return undefined;
}

// Only the fields a mapping has, in a fixed order, so the event holds no stray input.
const mappingRef = (m: SetDirectoryRoleMappings['data']['mappings'][number]): DirectoryRoleMappingRef => ({
  group: m.group,
  ...(m.role !== undefined ? { role: m.role } : {}),
  ...(m.permissionGroups !== undefined && m.permissionGroups.length > 0
    ? { permissionGroups: [...m.permissionGroups] }
    : {}),
});

const stateRef = (m: DirectoryRoleMappingState): DirectoryRoleMappingRef => ({
  group: m.group,
  ...(m.role !== undefined ? { role: m.role } : {}),
  ...(m.permissionGroups !== undefined ? { permissionGroups: [...m.permissionGroups] } : {}),
});

function setDirectoryRoleMappings(command: SetDirectoryRoleMappings, team: ActiveTeam): Decision<TeamEvent> {
  const current = team.directory;
  if (!current) {
    return reject({
      kind: 'not_found',
      rule: ruleIds.directoryConnected,
      message: `team ${team.id} has no directory connected`,
    });
  }
  const refusal = mappingsRefusal(team, command.data.mappings);
  if (refusal) return reject(refusal);
  const before = current.mappings.map(stateRef);
  const after = command.data.mappings.map(mappingRef);
  if (JSON.stringify(before) === JSON.stringify(after)) return accept();
  return accept({
    type: 'DirectoryRoleMappingsSet',
    data: {
      ...baseOf(command),
      directoryId: current.directoryId,
      before: { mappings: before },
      after: { mappings: after },
    },
  });
}

/** The commands a directory may issue (POLICY.md "Who acts, beyond people", directory row). */
const directoryCommandTypes: ReadonlySet<TeamCommand['type']> = new Set([
  'AddMember',
  'ChangeTeamRole',
  'RemoveMember',
  'GrantPermissionGroup',
  'RevokePermissionGroup',
] as const);

const directoryRefusal = (rule: RuleId, message: string): Rejection => ({
  kind: 'policy',
  rule,
  message,
});

/**
 * Whether the directory acting as `command.metadata.actorId` may issue this command on this team: it is the team's
 * connected directory, the command is one a directory issues, and the change is one its mappings make. It stands in for
 * the team-role check; the command's own rules (the last owner among them) still apply after it.
 */
export function directoryAuthority(command: TeamCommand, team: ActiveTeam, directoryId: string): Rejection | undefined {
  const actor = command.metadata.actorId;
  if (!team.directory || team.directory.directoryId !== directoryId) {
    return directoryRefusal(ruleIds.directoryIsConnected, `${actor} is not the directory connected to team ${team.id}`);
  }
  if (!directoryCommandTypes.has(command.type)) {
    return directoryRefusal(
      ruleIds.directoryCommandAllowed,
      `a directory may only add, change and remove members and grant and revoke permission groups, not ${command.type}`,
    );
  }
  const mappings = team.directory.mappings;
  const mapsRole = (role: string) => mappings.some((m) => m.role === role);
  const mapsGroup = (group: string) => mappings.some((m) => m.permissionGroups?.includes(group as never) === true);
  const noOwnerMapping = (what: string) =>
    directoryRefusal(ruleIds.directoryOwnerNeedsMapping, `${actor} ${what} an owner, but no role mapping names owner`);
  const member = 'userId' in command.data ? team.members.get(command.data.userId) : undefined;
  switch (command.type) {
    case 'AddMember':
    case 'ChangeTeamRole': {
      const { role, userId } = command.data;
      if (member?.role.value === 'owner' && role !== 'owner' && !mapsRole('owner')) return noOwnerMapping('unmakes');
      if (role === 'owner' && !mapsRole('owner')) return noOwnerMapping('makes');
      if (!mapsRole(role)) {
        return directoryRefusal(
          ruleIds.directoryMappingRequired,
          `${actor} gives ${userId} the ${role} role, which no role mapping names`,
        );
      }
      return undefined;
    }
    case 'RemoveMember': {
      if (member?.role.value === 'owner' && !mapsRole('owner')) return noOwnerMapping('removes');
      if (member && member.provisionedBy !== directoryId) {
        return directoryRefusal(
          ruleIds.directoryProvisionedOnly,
          `${actor} removes only members it provisioned; ${member.userId} was added by hand`,
        );
      }
      return undefined;
    }
    case 'GrantPermissionGroup':
      if (!mapsGroup(command.data.group)) {
        return directoryRefusal(
          ruleIds.directoryMappingRequired,
          `${actor} grants ${command.data.group}, which no role mapping names`,
        );
      }
      return undefined;
    case 'RevokePermissionGroup': {
      const grant = member?.permissionGroups.get(command.data.group);
      if (grant && grant.grantedBy !== actor) {
        return directoryRefusal(
          ruleIds.directoryOwnGrantsOnly,
          `${actor} revokes only permission groups it granted; ${command.data.group} was granted by hand`,
        );
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The directory an actor id names, if it is one (`scim:{directoryId}`). */
export const actingDirectory = (command: TeamCommand): string | undefined =>
  directoryIdOfActor(command.metadata.actorId);

/** Directory sync: an owner connects, rotates and disconnects the team's identity provider (API.md "Directory sync"). */
export const directorySyncCommands: CommandEntries<
  'ConnectDirectory' | 'DisconnectDirectory' | 'SetDirectoryRoleMappings'
> = {
  ConnectDirectory: { requires: () => [{ permission: 'team.members.roles.manage' }], decide: connectDirectory },
  DisconnectDirectory: { requires: () => [{ permission: 'team.members.roles.manage' }], decide: disconnectDirectory },
  SetDirectoryRoleMappings: {
    requires: () => [{ permission: 'team.members.roles.manage' }],
    decide: setDirectoryRoleMappings,
  },
};
