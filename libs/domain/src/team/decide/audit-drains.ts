import { maxAuditDrainsPerTeam, ruleIds } from '../../policy/policy';
import type { AddAuditDrain, RemoveAuditDrain, ResumeAuditDrain } from '../commands';
import type { AuditDrainRef, TeamEvent } from '../events';
import type { Decision } from '../rejection';
import type { ActiveTeam, AuditDrainState } from '../state';
import { accept, baseOf, reject, type CommandEntries, type RequiredPermission } from './support';

export { maxAuditDrainsPerTeam };

const refOf = (drain: AuditDrainState): AuditDrainRef => ({
  drainId: drain.drainId,
  url: drain.url,
  ...(drain.description !== undefined ? { description: drain.description } : {}),
});

function addAuditDrain(command: AddAuditDrain, team: ActiveTeam): Decision<TeamEvent> {
  const { drainId, url, description } = command.data;
  const drains = [...(team.auditDrains?.values() ?? [])];
  if (drains.length >= maxAuditDrainsPerTeam) {
    return reject({
      kind: 'policy',
      rule: ruleIds.auditDrainLimit,
      message: `a team may have at most ${maxAuditDrainsPerTeam} audit drains`,
    });
  }
  if (drains.some((drain) => drain.url === url)) {
    return reject({ kind: 'conflict', rule: ruleIds.auditDrainUrlFree, message: `a drain to ${url} exists already` });
  }
  const after: AuditDrainRef = { drainId, url, ...(description !== undefined ? { description } : {}) };
  return accept({ type: 'AuditDrainAdded', data: { ...baseOf(command), drainId, before: null, after } });
}

function drainOf(team: ActiveTeam, drainId: string): AuditDrainState | undefined {
  return team.auditDrains?.get(drainId);
}

const unknownDrain = (team: ActiveTeam, drainId: string): Decision<TeamEvent> =>
  reject({
    kind: 'not_found',
    rule: ruleIds.auditDrainExists,
    message: `team ${team.id} has no audit drain ${drainId}`,
  });

function removeAuditDrain(command: RemoveAuditDrain, team: ActiveTeam): Decision<TeamEvent> {
  const drain = drainOf(team, command.data.drainId);
  if (!drain) return unknownDrain(team, command.data.drainId);
  return accept({
    type: 'AuditDrainRemoved',
    data: { ...baseOf(command), drainId: drain.drainId, before: refOf(drain), after: null },
  });
}

function resumeAuditDrain(command: ResumeAuditDrain, team: ActiveTeam): Decision<TeamEvent> {
  const drain = drainOf(team, command.data.drainId);
  if (!drain) return unknownDrain(team, command.data.drainId);
  return accept({
    type: 'AuditDrainResumed',
    data: { ...baseOf(command), drainId: drain.drainId, before: refOf(drain), after: refOf(drain) },
  });
}

/** API.md "Audit log drains": the drain sees every audit entry, so it takes both the security and the audit right. */
const drainRights = (): RequiredPermission[] => [
  { permission: 'team.security.manage' },
  { permission: 'team.audit.view' },
];

export const auditDrainCommands: CommandEntries<'AddAuditDrain' | 'RemoveAuditDrain' | 'ResumeAuditDrain'> = {
  AddAuditDrain: { requires: drainRights, decide: addAuditDrain },
  RemoveAuditDrain: { requires: drainRights, decide: removeAuditDrain },
  ResumeAuditDrain: { requires: drainRights, decide: resumeAuditDrain },
};
