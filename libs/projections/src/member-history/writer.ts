import type Database from 'better-sqlite3';
import { storedPersonalText, type TeamEvent } from '@access-audit/domain';
import type { RecordedEvent } from '@access-audit/event-store';
import type { MemberHistoryEntry, PermissionChange, PermissionRef } from '../model';
import { BulkRows, InternedText } from '../projection/bulk-rows';
import { causeOf, storedChanges, type MemberEvent } from './rows';

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
    ...(event.data.reason !== undefined ? { reason: storedPersonalText(event.data.reason) } : {}),
    ...(typeof data.projectId === 'string' ? { projectId: data.projectId } : {}),
    ...(typeof data.group === 'string' ? { group: data.group } : {}),
    ...('cause' in data && data.cause ? { cause: data.cause as MemberHistoryEntry['cause'] } : {}),
    before,
    after,
  };
}

/** A member's changes by one event, as collected in a batch. */
export interface CollectedChange {
  event: MemberEvent;
  position: string;
  teamId: string;
  userId: string;
  granted: readonly PermissionRef[];
  revoked: readonly PermissionRef[];
}

/** The change-feed entries of collected changes, in order (revoked before granted, as the feed lists them). */
export function changesOf(collected: readonly CollectedChange[]): PermissionChange[] {
  const changes: PermissionChange[] = [];
  for (const { event, position, teamId, userId, granted, revoked } of collected) {
    const cause = causeOf(position, event);
    for (const [change, list] of [
      ['revoked', revoked],
      ['granted', granted],
    ] as const) {
      for (const { projectId, permission } of list) {
        changes.push({ position, teamId, userId, projectId, permission, change, cause });
      }
    }
  }
  return changes;
}

const memberEventColumns = ['event_seq', 'team_id', 'user_id', 'at_ms', 'changes_json'] as const;

/**
 * Member histories and the change feed: each event that concerns a member once (`history_events`), and one small row per
 * event and member it concerns (`member_events`) holding, when it gained or lost them a permission (a change-feed
 * entry), what it granted and revoked, compactly. Rows are written at the end of the batch (`flush`). Collects the
 * batch's changes for the runner to announce.
 */
export class MemberHistoryWriter {
  readonly #events: BulkRows;
  readonly #permissionIds: InternedText;
  readonly #idOf = (permission: string): number => this.#permissionIds.id(permission);
  readonly #members: BulkRows;
  readonly #lastEventSeq: Database.Statement<[], number | null>;
  /** The event the last row was written for, and the sequence number its `history_events` row takes. */
  #event: MemberEvent | undefined;
  #eventSeq = 0;
  /** The sequence number of the last `history_events` row, once read in this batch. */
  #lastSeq: number | undefined;
  /** The batch's changes as written: made into change-feed entries only when asked for (a rebuild never asks). */
  #changes: CollectedChange[] = [];

  constructor(db: Database.Database) {
    this.#permissionIds = new InternedText(db, 'permission_names', 'name');
    this.#events = new BulkRows(db, 'history_events', ['seq', 'position', 'entry_json']);
    this.#members = new BulkRows(db, 'member_events', memberEventColumns);
    this.#lastEventSeq = db.prepare<[], number | null>('SELECT MAX(seq) FROM history_events').pluck();
  }

  /** Records what the event at `position` did to the member: a history row, and its changes when there are any. */
  write(
    event: MemberEvent,
    at: { teamId: string; atMs: number; position: string },
    userId: string,
    granted: readonly PermissionRef[],
    revoked: readonly PermissionRef[],
  ): void {
    if (event !== this.#event) {
      this.#lastSeq ??= this.#lastEventSeq.get() ?? 0;
      this.#event = event;
      this.#eventSeq = ++this.#lastSeq;
      this.#events.values.push(this.#eventSeq, at.position, JSON.stringify(event));
    }
    const changed = granted.length + revoked.length > 0;
    const changes = changed ? storedChanges(granted, revoked, this.#idOf) : null;
    this.#members.values.push(this.#eventSeq, at.teamId, userId, at.atMs, changes);
    if (changed) this.#changes.push({ event, position: at.position, teamId: at.teamId, userId, granted, revoked });
  }

  /** Inside the batch's transaction: writes the rows the batch collected. */
  flush(): void {
    this.#events.flush();
    this.#members.flush();
  }

  /** Starts a batch: a new list of changes, nothing collected. */
  begin(): void {
    this.#changes = [];
    this.#permissionIds.begin();
    this.#clearRows();
  }

  /** The changes of the batch so far, in log order, as a list that `changesOf` turns into change-feed entries. */
  collected(): readonly CollectedChange[] {
    return this.#changes;
  }

  /** Marks the batch so far, for `undo` to return to when one event's savepoint rolls back (flushed after each event). */
  mark(): { changes: number; permissionIds: number } {
    return { changes: this.#changes.length, permissionIds: this.#permissionIds.mark() };
  }

  undo(mark: { changes: number; permissionIds: number }): void {
    this.#changes.length = mark.changes;
    this.#permissionIds.undo(mark.permissionIds);
    this.#clearRows();
  }

  /** The batch's transaction committed: the permission ids it added hold. */
  commit(): void {
    this.#permissionIds.commit();
  }

  /** The tables were emptied: no id or sequence number read holds. */
  forget(): void {
    this.#permissionIds.forget();
    this.#clearRows();
  }

  #clearRows(): void {
    this.#events.clear();
    this.#members.clear();
    this.#event = undefined;
    this.#lastSeq = undefined;
  }
}
