import type { Permission } from '@access-audit/domain';
import type { ChangeCause, MemberHistoryEntry, PermissionRef } from '../model';

/** A permission as stored in a member-event row: [projectId or null, permission]. */
export type StoredPermission = [string | null, Permission];

/** What a `member_events` row holds: the event as it concerns the member, and the permissions it changed for them. */
export type StoredMemberEvent = Omit<MemberHistoryEntry, 'position' | 'granted' | 'revoked'> & {
  granted: StoredPermission[];
  revoked: StoredPermission[];
};

/** The event of a member-event row, as every member it concerns shares it. */
export type MemberEvent = Omit<StoredMemberEvent, 'granted' | 'revoked'>;

export const toStored = ({ projectId, permission }: PermissionRef): StoredPermission => [projectId, permission];

export const toRef = ([projectId, permission]: StoredPermission): PermissionRef => ({ permission, projectId });

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
