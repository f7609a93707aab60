import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { AuditLog } from './audit-log';
import { auditStreamId, type AuditEntry } from './entry';
import { CheckpointSigner } from './signing';
import { enterpriseHistory } from './testing/audit-fixtures';

interface Row {
  position: number;
  revision: number;
  data: string;
}

/** Tampering with the SQLite file itself, as someone with access to the disk could, is found by verify at the entry it hit. */
describe('audit verify over a tampered SQLite store', () => {
  const signer = CheckpointSigner.generate();
  let dir: string;
  let store: SqliteEventStore;
  let audit: AuditLog;
  let db: Database.Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-tamper-'));
    store = new SqliteEventStore(join(dir, 'events.db'));
    await enterpriseHistory(store);
    audit = new AuditLog({ store, signer, indexPath: join(dir, 'audit-index.db'), checkpointEvery: 4 });
    await audit.catchUp();
    db = new Database(join(dir, 'events.db'));
  });
  afterEach(async () => {
    db.close();
    await audit.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const entryRow = (sequence: number): Row & { entry: AuditEntry } => {
    const rows = db
      .prepare<[string], Row>('SELECT position, revision, data FROM events WHERE stream_id = ? ORDER BY revision')
      .all(auditStreamId('acme'));
    const row = rows.find((r) => {
      const data = JSON.parse(r.data) as { kind: string; sequence: number };
      return data.kind !== 'checkpoint' && data.sequence === sequence;
    })!;
    return { ...row, entry: JSON.parse(row.data) as AuditEntry };
  };

  it('is valid before anyone touches the file', async () => {
    expect(await audit.verify('acme')).toMatchObject({ valid: true, entries: 10, checkpoints: 2, signedThrough: 8 });
  });

  it('finds a flipped bit in an entry, at that entry', async () => {
    const target = entryRow(6);
    const bytes = Buffer.from(target.data, 'utf8');
    const at = bytes.indexOf('"actor":"alice"') + '"actor":"alic'.length;
    bytes[at] ^= 0x01; // alice → alicd
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(bytes.toString('utf8'), target.position);

    const result = await audit.verify('acme');
    expect(result.valid).toBe(false);
    expect(result.break).toMatchObject({
      sequence: 6,
      entryId: target.entry.id,
      streamRevision: target.revision,
      record: 'entry',
    });
    expect(result.break?.reason).toMatch(/altered/);
  });

  it('finds a deleted row, naming the missing sequence and the entry found in its place', async () => {
    const deleted = entryRow(3);
    const next = entryRow(4);
    db.prepare('DELETE FROM events WHERE position = ?').run(deleted.position);

    const result = await audit.verify('acme');
    expect(result.break).toMatchObject({ sequence: 3, entryId: next.entry.id, streamRevision: next.revision });
    expect(result.break?.reason).toMatch(/entry 3 is missing/);
  });

  it('finds a row whose bytes are no longer JSON, at its revision', async () => {
    const target = entryRow(5);
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(`x${target.data.slice(1)}`, target.position);
    const result = await audit.verify('acme');
    expect(result.break).toMatchObject({ sequence: 5, record: 'unreadable', streamRevision: target.revision });
  });
});
