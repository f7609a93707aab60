import type { PersonalText, Rejection, SecurityChange, TeamCommand } from '@access-audit/domain';
import type { RequestContext } from '@access-audit/event-store';
import type { AuditTarget } from './entry';

/** A command the domain refused, as the command path hands it to the audit log. */
export interface DeniedCommand {
  teamId: string;
  actorId: string;
  /** ISO-8601 instant of the attempt. */
  at: string;
  commandType: string;
  target: AuditTarget;
  rejection: Pick<Rejection, 'kind' | 'message'> & { permission?: string; rule?: string };
  /** Sealed (or clear, from code that does not seal) as the audit entry holds it. */
  reason?: PersonalText;
  requestContext?: RequestContext;
  /** Revision of the team stream the command was decided on (the command path's outcome has it). */
  teamStreamRevision?: number;
}

const securitySettingNames: Record<SecurityChange['setting'], string> = {
  firewall: 'firewall',
  'ipBlock.add': 'ipBlocks',
  'ipBlock.remove': 'ipBlocks',
  'rateLimitRule.set': 'rateLimitRules',
  'rateLimitRule.remove': 'rateLimitRules',
  vercelAuthentication: 'deploymentProtection.vercelAuthentication',
  passwordProtection: 'deploymentProtection.passwordProtection',
  'passwordProtection.rotate': 'deploymentProtection.passwordProtection',
  'bypassToken.record': 'deploymentProtection.bypassTokens',
  'bypassToken.revoke': 'deploymentProtection.bypassTokens',
};

/** The user, project and setting a team command aims at, named as the entries of the changes it would make. */
export function commandTarget(command: TeamCommand): AuditTarget {
  const data = command.data as Partial<Record<'userId' | 'projectId', string>>;
  const target: AuditTarget = {};
  if (data.userId !== undefined) target.userId = data.userId;
  if (data.projectId !== undefined) target.projectId = data.projectId;
  switch (command.type) {
    case 'ChangePlan':
      target.setting = 'plan';
      break;
    case 'RenameTeam':
      target.setting = 'name';
      break;
    case 'GrantPermissionGroup':
    case 'RevokePermissionGroup':
      target.setting = `permissionGroups.${command.data.group}`;
      break;
    case 'ChangeProjectSecurity':
      target.setting = [...new Set(command.data.changes.map((change) => securitySettingNames[change.setting]))].join(
        ',',
      );
      break;
    default:
      break;
  }
  return target;
}

/** The denial record of a team command the domain refused. */
export function deniedTeamCommand(
  command: TeamCommand,
  rejection: Rejection,
  requestContext?: RequestContext,
  teamStreamRevision?: number,
  /** The reason as stored (sealed); default: the command's own. */
  reason: PersonalText | undefined = command.metadata.reason,
): DeniedCommand {
  return {
    teamId: command.teamId,
    actorId: command.metadata.actorId,
    at: command.metadata.now,
    commandType: command.type,
    target: commandTarget(command),
    rejection,
    ...(reason !== undefined ? { reason } : {}),
    ...(requestContext ? { requestContext } : {}),
    ...(teamStreamRevision !== undefined ? { teamStreamRevision } : {}),
  };
}
