import type Database from 'better-sqlite3';
import type { TeamEvent } from '@access-audit/domain';
import type { RecordedEvent } from '@access-audit/event-store';
import type { MemberHistoryEntry, PermissionChange, PermissionRef } from '../model';
import { causeOf, toStored, type MemberEvent, type StoredMemberEvent } from './rows';

/** The event as a member's history shows it (without the permissions it changed for that member). */
export function memberEventOf(recorded: RecordedEvent, event: TeamEvent): MemberEvent {
  const data = event.data as unknown as Record<string, unknown>;
  let before = 'before' in data ? data.before : null;
  let after = 'after' in data ? data.after : null;
  if (event.type === 'TeamCreated') [before, after] = [null, { role: 'owner' }];
  if (event.type === 'ProjectCreated') after = { name: event.data.name };
  return {
    eventId: recorded.id,
    type: recorded.type,
    occurredAt: event.data.occurredAt,
    actorId: event.data.actorId,
    ...(event.data.reason !== undefined ? { reason: event.data.reason } : {}),
    ...(typeof data.projectId === 'string' ? { projectId: data.projectId } : {}),
    ...(typeof data.group === 'string' ? { group: data.group } : {}),
    ...('cause' in data && data.cause ? { cause: data.cause as MemberHistoryEntry['cause'] } : {}),
    before,
    after,
  };
}

/**
 * Member histories and the change feed, one `member_events` row per event and member it concerns (`changed` = 1 when
 * it gained or lost them a permission: a change-feed entry). Collects the batch's changes for the runner to announce.
 */
export class MemberHistoryWriter {
  readonly #insert: Database.Statement<[string, string, string, number, number, string]>;
  #changes: PermissionChange[] = [];

  constructor(db: Database.Database) {
    this.#insert = db.prepare<[string, string, string, number, number, string]>(
      'INSERT INTO member_events (position, team_id, user_id, at_ms, changed, entry_json) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  /** Records what the event at `position` did to the member: a history row, and its changes when there are any. */
  write(
    event: MemberEvent,
    at: { teamId: string; atMs: number; position: string },
    userId: string,
    granted: readonly PermissionRef[],
    revoked: readonly PermissionRef[],
  ): void {
    const changed = granted.length + revoked.length > 0;
    const row: StoredMemberEvent = { ...event, granted: granted.map(toStored), revoked: revoked.map(toStored) };
    this.#insert.run(at.position, at.teamId, userId, at.atMs, changed ? 1 : 0, JSON.stringify(row));
    if (!changed) return;
    const cause = causeOf(at.position, event);
    for (const [change, list] of [
      ['revoked', revoked],
      ['granted', granted],
    ] as const) {
      for (const { projectId, permission } of list) {
        this.#changes.push({ position: at.position, teamId: at.teamId, userId, projectId, permission, change, cause });
      }
    }
  }

  /** Starts a batch: a new list of changes. */
  begin(): void {
    this.#changes = [];
  }

  /** The changes of the batch so far, in log order. */
  changes(): PermissionChange[] {
    return this.#changes;
  }

  /** Marks the batch so far, for `undo` to return to when one event's savepoint rolls back. */
  mark(): number {
    return this.#changes.length;
  }

  undo(mark: number): void {
    this.#changes.length = mark;
  }
}
