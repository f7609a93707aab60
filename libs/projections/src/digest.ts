import { createHash, type Hash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { effectivePermissions, teamStateFromJson } from '@access-audit/domain';
import { readModelNames, type PermissionRef, type ReadModelName } from './model';
import { parseChanges, PermissionNames } from './member-history/rows';

/** JSON with object keys sorted, so equal values digest equally whatever order they were built in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : inner,
  );
}

const line = (hash: Hash, fields: Array<string | number | null>): void => {
  hash.update(JSON.stringify(fields));
  hash.update('\n');
};

function digestRows(
  db: Database.Database,
  sql: string,
  toFields: (row: Record<string, string | number | null>) => Array<string | number | null>,
): string {
  const hash = createHash('sha256');
  for (const row of db.prepare<[], Record<string, string | number | null>>(sql).iterate()) line(hash, toFields(row));
  return hash.digest('hex');
}

/** SHA-256 of each read model's content, in a canonical order that leaves out storage details (row ids). */
export function digestReadModels(db: Database.Database): Record<ReadModelName, string> {
  const names = new PermissionNames(db);
  const digests: Record<ReadModelName, () => string> = {
    'team-states': () =>
      digestRows(db, 'SELECT team_id, revision, last_ms, state_json FROM team_states ORDER BY team_id', (row) => [
        row.team_id,
        row.revision,
        row.last_ms,
        canonicalJson(JSON.parse(String(row.state_json))),
      ]),
    'current-permissions': () => {
      const hash = createHash('sha256');
      const teams = db.prepare<[], { team_id: string; state_json: string }>(
        'SELECT team_id, state_json FROM team_states ORDER BY team_id',
      );
      for (const { team_id: teamId, state_json: json } of teams.iterate()) {
        const state = teamStateFromJson(json);
        if (state.status !== 'active') continue;
        for (const userId of [...state.members.keys()].sort()) {
          for (const grant of effectivePermissions(state, userId)) {
            line(hash, [teamId, userId, grant.projectId, grant.permission, canonicalJson(grant.via)]);
          }
        }
      }
      return hash.digest('hex');
    },
    'temporal-index': () =>
      digestRows(
        db,
        'SELECT team_id, user_id, project_id, from_ms, to_ms, (SELECT grants_json FROM grant_sets WHERE id = grants_id) AS grants_json, ' +
          'from_position, to_position FROM grant_intervals ORDER BY team_id, user_id, project_id, from_ms',
        (row) => [
          row.team_id,
          row.user_id,
          row.project_id,
          row.from_ms,
          row.to_ms,
          row.grants_json,
          row.from_position,
          row.to_position,
        ],
      ),
    'member-history': () =>
      digestRows(
        db,
        'SELECT e.position, m.team_id, m.user_id, m.at_ms, e.entry_json FROM member_events m ' +
          'JOIN history_events e ON e.seq = m.event_seq ORDER BY m.seq',
        (row) => [row.position, row.team_id, row.user_id, row.at_ms, canonicalJson(JSON.parse(String(row.entry_json)))],
      ),
    'change-feed': () =>
      digestRows(
        db,
        'SELECT e.position, m.team_id, m.user_id, m.changes_json FROM member_events m ' +
          'JOIN history_events e ON e.seq = m.event_seq WHERE m.changes_json IS NOT NULL ORDER BY m.seq',
        (row) => {
          const { granted, revoked } = parseChanges(String(row.changes_json), names.nameOf);
          const pairs = (refs: PermissionRef[]) => JSON.stringify(refs.map((ref) => [ref.projectId, ref.permission]));
          return [row.position, row.team_id, row.user_id, pairs(granted), pairs(revoked)];
        },
      ),
    'quarantined-teams': () =>
      digestRows(
        db,
        'SELECT team_id, event_id, event_type, position, stream_revision FROM quarantined_teams ORDER BY team_id',
        (row) => [row.team_id, row.event_id, row.event_type, row.position, row.stream_revision],
      ),
    'team-memberships': () =>
      digestRows(db, 'SELECT user_id, team_id, role FROM team_memberships ORDER BY user_id, team_id', (row) => [
        row.user_id,
        row.team_id,
        row.role,
      ]),
  };
  return Object.fromEntries(readModelNames.map((name) => [name, digests[name]()])) as Record<ReadModelName, string>;
}
