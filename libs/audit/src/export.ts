import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import { erasedText, revealedFields, type PersonalData } from '@access-audit/privacy';
import type { PersonalText } from '@access-audit/domain';
import { canonicalJson } from './canonical-json';
import { spreadsheetSafeCsvOptions } from './csv';
import type { AuditEntry, AuditRecord } from './entry';

export const auditExportFormats = ['ndjson', 'csv'] as const;
export type AuditExportFormat = (typeof auditExportFormats)[number];

/**
 * The member of an exported line that holds the opened personal fields, by JSON pointer; not part of the entry, so a
 * verifier drops it before hashing (the hash covers the sealed values the entry holds).
 */
export const revealedMember = 'revealed';

/**
 * One canonical JSON record per line: entries and checkpoints, as `audit:verify` reads them back. With `personalData`,
 * a line holding sealed values also carries `revealed`: each one's text, or "[erased]".
 */
/** One exported line: the record as stored, and beside it (`revealed`) the text of each sealed value it holds. */
export async function exportLine(record: AuditRecord, personalData?: PersonalData): Promise<string> {
  const revealed = personalData && (await revealedFields(record, personalData));
  return `${canonicalJson(revealed ? { ...record, [revealedMember]: revealed } : record)}\n`;
}

/** A line's record without what the service revealed beside it: what its hash and every copy of it agree on. */
export function withoutRevealed(record: unknown): unknown {
  if (typeof record !== 'object' || record === null || !(revealedMember in record)) return record;
  const { [revealedMember]: _revealed, ...stored } = record as Record<string, unknown>;
  return stored;
}

export function ndjsonExport(
  records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  personalData?: PersonalData,
): Readable {
  return Readable.from(
    (async function* lines() {
      for await (const record of records) yield exportLine(record, personalData);
    })(),
    { objectMode: false },
  );
}

/** CSV columns, in order. Structured values (before, after, cause) are JSON text in their cell. */
export const auditCsvColumns = [
  'sequence',
  'id',
  'time',
  'kind',
  'actor',
  'action',
  'target_user',
  'target_project',
  'target_setting',
  'before',
  'after',
  'cause',
  'reason',
  'ip',
  'user_agent',
  'request_id',
  'source_event_id',
  'source_event_type',
  'source_stream_revision',
  'source_position',
  'policy_version',
  'denied_command',
  'denied_rejection',
  'denied_permission',
  'denied_rule',
  'denied_message',
  'suppressed_before',
  'prev_hash',
  'hash',
] as const;

type CsvRow = Record<(typeof auditCsvColumns)[number], string | number | null>;

const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/** A personal field of an opened entry; one still sealed (nothing opened it) never reaches a cell as ciphertext. */
const text = (value: PersonalText | null): string | null =>
  value === null || typeof value === 'string' ? value : erasedText;

export function csvRow(entry: AuditEntry): CsvRow {
  const change = entry.kind === 'change' ? entry : undefined;
  const denial = entry.kind === 'denial' ? entry.denial : undefined;
  return {
    sequence: entry.sequence,
    id: entry.id,
    time: entry.time,
    kind: entry.kind,
    actor: entry.actor,
    action: entry.action,
    target_user: entry.target.userId ?? null,
    target_project: entry.target.projectId ?? null,
    target_setting: entry.target.setting ?? null,
    before: change ? json(change.before) : null,
    after: change ? json(change.after) : null,
    cause: change ? json(change.cause) : null,
    reason: text(entry.reason),
    ip: text(entry.context.ip),
    user_agent: text(entry.context.userAgent),
    request_id: entry.context.requestId,
    source_event_id: change?.source.eventId ?? null,
    source_event_type: change?.source.eventType ?? null,
    source_stream_revision: change?.source.streamRevision ?? null,
    source_position: change?.source.position ?? null,
    policy_version: entry.policyVersion,
    denied_command: denial?.commandType ?? null,
    denied_rejection: denial?.rejection ?? null,
    denied_permission: denial?.permission ?? null,
    denied_rule: denial?.rule ?? null,
    denied_message: denial?.message ?? null,
    suppressed_before: denial?.suppressedBefore ?? null,
    prev_hash: entry.prevHash,
    hash: entry.hash,
  };
}

/**
 * RFC 4180 CSV with a header row, one row per entry (checkpoints are left out: verification reads the NDJSON export).
 * A text cell that a spreadsheet would run as a formula gets a leading `'` (see spreadsheetSafeCsvOptions). Rows are
 * produced as the consumer reads, so the selection is never held in memory.
 */
export function csvExport(
  records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  personalData?: PersonalData,
): Readable {
  const rows = Readable.from(
    (async function* entryRows() {
      for await (const record of records) {
        if (record.kind === 'checkpoint') continue;
        yield csvRow(personalData ? ((await personalData.reveal(record)) as AuditEntry) : record);
      }
    })(),
  );
  const csv = stringify(spreadsheetSafeCsvOptions({ header: true, columns: [...auditCsvColumns], eof: true }));
  pipeline(rows, csv, () => undefined);
  return csv;
}

export function exportStream(
  format: AuditExportFormat,
  records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  personalData?: PersonalData,
): Readable {
  return format === 'csv' ? csvExport(records, personalData) : ndjsonExport(records, personalData);
}
