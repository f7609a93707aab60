import type { Permission } from '@access-audit/domain';
import type { ChangeCause, MemberHistoryEntry, PermissionRef } from '../model';

/** What a `history_events` row holds: the event as every member it concerns shares it. */
export type MemberEvent = Omit<MemberHistoryEntry, 'position' | 'granted' | 'revoked'>;

/**
 * The permissions an event granted one member and those it revoked, as a `member_events` row holds them: runs of one
 * project (null: team-level), each [projectId, permission, ...], in the order the change lists them.
 */
export type StoredChanges = [granted: StoredRun[], revoked: StoredRun[]];
type StoredRun = [string | null, ...Permission[]];

const runsOf = (refs: readonly PermissionRef[]): StoredRun[] => {
  const runs: StoredRun[] = [];
  let run: StoredRun | undefined;
  for (const { projectId, permission } of refs) {
    if (run && run[0] === projectId) run.push(permission);
    else runs.push((run = [projectId, permission]));
  }
  return runs;
};

const refsOf = (runs: readonly StoredRun[]): PermissionRef[] =>
  runs.flatMap(([projectId, ...permissions]) => permissions.map((permission) => ({ permission, projectId })));

export const storedChanges = (granted: readonly PermissionRef[], revoked: readonly PermissionRef[]): string =>
  JSON.stringify([runsOf(granted), runsOf(revoked)] satisfies StoredChanges);

/** What a `changes_json` column holds, back as the granted and revoked lists (both empty for NULL). */
export function parseChanges(json: string | null): { granted: PermissionRef[]; revoked: PermissionRef[] } {
  if (json === null) return { granted: [], revoked: [] };
  const [granted, revoked] = JSON.parse(json) as StoredChanges;
  return { granted: refsOf(granted), revoked: refsOf(revoked) };
}


/** The event as the change feed names it. */
export function causeOf(
  position: string,
  event: Pick<MemberEvent, 'eventId' | 'type' | 'actorId' | 'occurredAt' | 'reason'>,
): ChangeCause {
  return {
    eventId: event.eventId,
    type: event.type,
    position,
    actorId: event.actorId,
    occurredAt: event.occurredAt,
    ...(event.reason !== undefined ? { reason: event.reason } : {}),
  };
}
