import { ruleIds } from '../policy/policy';
import type { TeamCommand } from './commands';
import { checkPermission } from './effective-permissions';
import type { TeamEvent } from './events';
import type { Decision, Rejection } from './rejection';
import { evolve, type ActiveTeam, type TeamState } from './state';
import { auditDrainCommands } from './decide/audit-drains';
import { actingDirectory, directoryAuthority, directorySyncCommands } from './decide/directory-sync';
import { membershipCommands } from './decide/membership';
import { permissionGroupCommands } from './decide/permission-groups';
import { projectSecurityCommands } from './decide/project-security';
import { privacyCommands } from './decide/privacy';
import { projectCommands } from './decide/projects';
import { reject, type CommandEntries, type CommandEntry, type RequiredPermission } from './decide/support';
import { createTeam, teamAndPlanCommands } from './decide/team-and-plan';

export type { RequiredPermission } from './decide/support';
export { defaultProjectSecurity } from './decide/support';
export { planChangeConflicts } from './decide/team-and-plan';
export { permissionForSecurityChange } from './decide/project-security';

/** Every command on an existing team, by area; a command type without its entry does not compile. */
const commands: CommandEntries<Exclude<TeamCommand['type'], 'CreateTeam'>> = {
  ...teamAndPlanCommands,
  ...membershipCommands,
  ...permissionGroupCommands,
  ...projectCommands,
  ...projectSecurityCommands,
  ...directorySyncCommands,
  ...auditDrainCommands,
  ...privacyCommands,
};

type TeamScopedCommand = Exclude<TeamCommand, { type: 'CreateTeam' }>;

/** The table's entry for a command, typed by it (the table is keyed by type, so the lookup is sound). */
const entryOf = <C extends TeamScopedCommand>(command: C): CommandEntry<C> =>
  commands[command.type] as unknown as CommandEntry<C>;

/** Every permission the actor must hold for the command (one per distinct need). */
export const requiredPermissions = (command: TeamCommand): RequiredPermission[] =>
  command.type === 'CreateTeam' ? [] : entryOf(command).requires(command);

function authorize(command: TeamCommand, team: ActiveTeam): Rejection | undefined {
  for (const need of requiredPermissions(command)) {
    if (!checkPermission(team, command.metadata.actorId, need.permission, need.projectId).allowed) {
      const where = need.projectId ? ` on project ${need.projectId}` : '';
      return {
        kind: 'forbidden',
        permission: need.permission,
        ...(need.projectId ? { projectId: need.projectId } : {}),
        message: `${command.metadata.actorId} lacks ${need.permission}${where}`,
      };
    }
  }
  return undefined;
}

/**
 * Decides a team command: the events it causes, or why it is refused.
 * Order of checks: the team exists (404), the project named exists (404), the actor holds the permission (403),
 * then the policy rules (422).
 */
export function decide(command: TeamCommand, state: TeamState): Decision<TeamEvent> {
  if (command.type === 'CreateTeam') return createTeam(command, state);
  if (state.status !== 'active') {
    return reject({ kind: 'not_found', rule: ruleIds.teamExists, message: `team ${command.teamId} does not exist` });
  }
  const entry = entryOf(command);
  const projectId = entry.project?.(command);
  if (projectId !== undefined && !state.projects.has(projectId)) {
    return reject({ kind: 'not_found', rule: ruleIds.projectExists, message: `project ${projectId} does not exist` });
  }
  // A directory holds no team role: its authority is its connection and its mappings (POLICY.md, directory row).
  const directoryId = actingDirectory(command);
  const forbidden =
    directoryId !== undefined ? directoryAuthority(command, state, directoryId) : authorize(command, state);
  if (forbidden) return reject(forbidden);
  return entry.decide(command, state);
}

/** The team aggregate as an Emmett-style decider. */
export const teamDecider = {
  initialState: (): TeamState => ({ status: 'none' }),
  evolve,
  decide,
};
