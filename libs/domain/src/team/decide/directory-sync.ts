import { planRules, ruleIds } from '../../policy/policy';
import type { ConnectDirectory, DisconnectDirectory } from '../commands';
import type { TeamEvent } from '../events';
import type { Decision } from '../rejection';
import type { ActiveTeam } from '../state';
import { accept, baseOf, reject, type CommandEntries } from './support';

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

/** Directory sync: an owner connects, rotates and disconnects the team's identity provider (API.md "Directory sync"). */
export const directorySyncCommands: CommandEntries<'ConnectDirectory' | 'DisconnectDirectory'> = {
  ConnectDirectory: { requires: () => [{ permission: 'team.members.roles.manage' }], decide: connectDirectory },
  DisconnectDirectory: { requires: () => [{ permission: 'team.members.roles.manage' }], decide: disconnectDirectory },
};
