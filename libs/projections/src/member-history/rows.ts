import type Database from 'better-sqlite3';
import type { Permission } from '@access-audit/domain';
import type { ChangeCause, MemberHistoryEntry, PermissionRef } from '../model';

/** What a `history_events` row holds: the event as every member it concerns shares it. */
export type MemberEvent = Omit<MemberHistoryEntry, 'position' | 'granted' | 'revoked'>;

/**
 * The permissions an event granted one member and those it revoked, as a `member_events` row holds them: runs of one
 * project (null: team-level), each [projectId, permission id, ...] (ids of `permission_names`), in the order the change
 * lists them.
 */
type StoredChanges = [granted: StoredRun[], revoked: StoredRun[]];
type StoredRun = [string | null, ...number[]];

/** The JSON of a list's runs, built directly: one string per member row, no intermediate arrays. */
function runsJson(refs: readonly PermissionRef[], idOf: (permission: Permission) => number): string {
  if (refs.length === 0) return '[]';
  let json = '';
  let project: string | null | undefined;
  for (const { projectId, permission } of refs) {
    if (json === '' || projectId !== project) {
      json += `${json === '' ? '[' : '],'}[${JSON.stringify(projectId)}`;
      project = projectId;
    }
    json += `,${idOf(permission)}`;
  }
  return `${json}]]`;
}

export const storedChanges = (
  granted: readonly PermissionRef[],
  revoked: readonly PermissionRef[],
  idOf: (permission: Permission) => number,
): string => `[${runsJson(granted, idOf)},${runsJson(revoked, idOf)}]`;

const refsOf = (runs: readonly StoredRun[], nameOf: (id: number) => Permission): PermissionRef[] =>
  runs.flatMap(([projectId, ...ids]) => ids.map((id) => ({ permission: nameOf(id), projectId })));

/** What a `changes_json` column holds, back as the granted and revoked lists (both empty for NULL). */
export function parseChanges(
  json: string | null,
  nameOf: (id: number) => Permission,
): { granted: PermissionRef[]; revoked: PermissionRef[] } {
  if (json === null) return { granted: [], revoked: [] };
  const [granted, revoked] = JSON.parse(json) as StoredChanges;
  return { granted: refsOf(granted, nameOf), revoked: refsOf(revoked, nameOf) };
}

/** The names of `permission_names` by id, read again when an id is new to it (a later batch added the name). */
export class PermissionNames {
  readonly #names = new Map<number, Permission>();
  readonly #all: Database.Statement<[], { id: number; name: Permission }>;

  constructor(db: Database.Database) {
    this.#all = db.prepare<[], { id: number; name: Permission }>('SELECT id, name FROM permission_names');
  }

  readonly nameOf = (id: number): Permission => {
    let name = this.#names.get(id);
    if (name === undefined) {
      this.forget();
      for (const row of this.#all.iterate()) this.#names.set(row.id, row.name);
      name = this.#names.get(id);
      if (name === undefined) throw new Error(`member_events names permission ${id}, which permission_names lacks`);
    }
    return name;
  };

  /** The table was emptied. */
  forget(): void {
    this.#names.clear();
  }
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
