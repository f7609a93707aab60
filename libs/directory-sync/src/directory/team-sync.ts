import type { TeamCommands } from '@access-audit/application';
import type { ActiveTeam, Rejection } from '@access-audit/domain';
import { desiredMembership, type DesiredMember, type DirectoryGroupView, type DirectoryUserView } from '../membership';
import { DirectoryReconcileError, planMember, type DirectoryReconciler } from '../reconciler';
import type { ScimRejection } from '../scim/errors';
import type { DirectoryTeamSync } from './provisioning';
import type { DirectoryStreamState } from './state';

/** A refused team command as a SCIM error: the detail names the rule (or permission) the policy applied. */
export function scimRejectionOf(rejection: Rejection): ScimRejection {
  switch (rejection.kind) {
    case 'forbidden':
      return {
        status: 403,
        rule: rejection.permission,
        detail: `refused by the policy (permission ${rejection.permission}): ${rejection.message}`,
      };
    case 'policy':
      return {
        status: 403,
        rule: rejection.rule,
        detail: `refused by the policy (rule ${rejection.rule}): ${rejection.message}`,
      };
    case 'conflict':
      return {
        status: 409,
        scimType: 'uniqueness',
        rule: rejection.rule,
        detail: `refused (rule ${rejection.rule}): ${rejection.message}`,
      };
    case 'not_found':
      return { status: 404, rule: rejection.rule, detail: `refused (rule ${rejection.rule}): ${rejection.message}` };
    case 'invalid':
      return {
        status: 400,
        scimType: 'invalidValue',
        rule: rejection.rule,
        detail: `refused (rule ${rejection.rule}): ${rejection.message}`,
      };
  }
}

export const userViews = (directory: DirectoryStreamState): DirectoryUserView[] =>
  [...directory.users.values()].map(({ scimId, memberUserId, active }) => ({ scimId, memberUserId, active }));

export const groupViews = (directory: DirectoryStreamState): DirectoryGroupView[] =>
  [...directory.groups.values()].map(({ scimId, displayName, externalId, memberScimIds }) => ({
    scimId,
    displayName,
    ...(externalId !== undefined ? { externalId } : {}),
    memberScimIds,
  }));

/**
 * Members whose team state disagrees with what the mappings make of the directory: deleted users still in the team, and
 * any whose last reconciliation was refused or lost a race (a removed group member keeping the group's role).
 */
function outOfLineOf(team: ActiveTeam, directoryId: string, desired: Map<string, DesiredMember>): string[] {
  const outOfLine: string[] = [];
  for (const [userId, member] of team.members)
    if (planMember(userId, member, desired.get(userId), directoryId).length > 0) outOfLine.push(userId);
  return outOfLine;
}

/**
 * After a directory write: what the team's current mappings make of the whole directory, reconciled for the member
 * userIds the write touched (team commands with actor `scim:{directoryId}`, correlated by the SCIM request id).
 */
export function directoryTeamSync(deps: {
  commands: TeamCommands;
  reconciler: DirectoryReconciler;
}): DirectoryTeamSync {
  return async ({ directoryId, directory, scope, sweepOutOfLine, context }) => {
    if (scope.length === 0 && !sweepOutOfLine) return { ok: true };
    const { state } = await deps.commands.current(context.teamId);
    const mappings =
      state.status === 'active' && state.directory?.directoryId === directoryId ? state.directory.mappings : [];
    const desired = desiredMembership(userViews(directory), groupViews(directory), mappings);
    const ctx = {
      directoryId,
      teamId: context.teamId,
      correlationId: context.correlationId,
      ...(context.requestContext ? { requestContext: context.requestContext } : {}),
    };
    let outcome;
    try {
      outcome = scope.length === 0 ? { ok: true as const } : await deps.reconciler.reconcile(desired, scope, ctx);
      if (outcome.ok && sweepOutOfLine && state.status === 'active') {
        const inScope = new Set(scope);
        const outOfLine = outOfLineOf(state, directoryId, desired).filter((userId) => !inScope.has(userId));
        // Not this request's answer: a refusal is recorded as a denial, and the next sweep tries again.
        if (outOfLine.length > 0) await deps.reconciler.reconcile(desired, outOfLine, ctx);
      }
    } catch (error) {
      // Another instance kept winning the team stream: the identity provider retries a 503 (RFC 7644 §3.12).
      if (error instanceof DirectoryReconcileError && error.kind === 'conflict')
        return {
          ok: false,
          rejection: { status: 503, detail: 'the team kept changing concurrently; retry the request' },
        };
      throw error;
    }
    return outcome.ok ? { ok: true } : { ok: false, rejection: scimRejectionOf(outcome.refusal) };
  };
}
