import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { teamStreamId } from '@access-audit/domain';
import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { AuditLog } from './audit-log';
import { sealEntry } from './chain';
import { auditStreamId, type AccessChangeEntry, type AuditEntry } from './entry';
import { CheckpointSigner } from './signing';
import { sourceEventDigest } from './source-entry';
import { at, enterpriseHistory, mustRun } from './testing/audit-fixtures';
import { verifyNdjson } from './verify-ndjson';

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

  const teamEventRow = (revision: number): Row & { type: string; metadata: string } =>
    db
      .prepare<[string, number], Row & { type: string; metadata: string }>(
        'SELECT position, revision, data, type, metadata FROM events WHERE stream_id = ? AND revision = ?',
      )
      .get(teamStreamId('acme'), revision)!;

  /** The digest an entry commits to, of the team event at `revision` as stored now. */
  const storedDigest = (revision: number): string => {
    const row = teamEventRow(revision);
    return sourceEventDigest({ type: row.type, data: JSON.parse(row.data), metadata: JSON.parse(row.metadata) });
  };

  const text = async (stream: Readable): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8');
  };

  it('is valid before anyone touches the file', async () => {
    expect(await audit.verify('acme')).toMatchObject({
      valid: true,
      entries: 10,
      checkpoints: 2,
      signedThrough: 8,
      unsignedTail: { entries: 2 },
      sources: { compared: 10, different: 0, missing: 0, extra: 0, unrecorded: 0, mismatches: [] },
    });
  });

  it('finds a team event edited after its entry was written (developer to owner), naming entry, event and field', async () => {
    const entry = entryRow(4).entry as AccessChangeEntry;
    expect(entry).toMatchObject({
      action: 'team.member.added',
      target: { userId: 'dev' },
      after: { role: 'developer' },
    });
    const event = teamEventRow(entry.source.streamRevision);
    expect(event.type).toBe('MemberAdded');
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
      event.data.replace('"role":"developer"', '"role":"owner"'),
      event.position,
    );

    const result = await audit.verify('acme');
    expect(result.valid).toBe(false);
    expect(result.break).toBeUndefined(); // the chain itself is intact: only the source changed
    expect(result.sources).toMatchObject({ compared: 10, different: 1, missing: 0, extra: 0 });
    expect(result.sources?.mismatches).toEqual([
      {
        kind: 'different',
        sequence: 4,
        entryId: entry.id,
        streamRevision: entryRow(4).revision,
        source: {
          streamId: 'team-acme',
          streamRevision: entry.source.streamRevision,
          eventId: entry.source.eventId,
          eventType: 'MemberAdded',
          position: entry.source.position,
        },
        fields: [
          { field: 'after.role', entry: 'developer', source: 'owner' },
          { field: 'source.digest', entry: entry.source.digest, source: storedDigest(entry.source.streamRevision) },
        ],
        reason: expect.stringMatching(/differs from its source event in after\.role, source\.digest/),
      },
    ]);
    expect(audit.integrityFailures.get('acme')?.reason).toMatch(/after\.role/);
  });

  it('finds a team event whose entry is gone from the end of the chain (missing), though the chain still holds', async () => {
    const ten = entryRow(10);
    db.prepare('DELETE FROM events WHERE position = ?').run(ten.position);
    await audit.stop();
    audit = new AuditLog({ store, signer, indexPath: join(dir, 'audit-index.db'), checkpointEvery: 4 });
    const result = await audit.verify('acme');
    expect(result).toMatchObject({ valid: false, entries: 9, unsignedTail: { entries: 1 } });
    expect(result.break).toBeUndefined();
    expect(result.sources).toMatchObject({ missing: 1, different: 0, extra: 0, unrecorded: 0 });
    expect(result.sources?.mismatches[0]).toMatchObject({
      kind: 'missing',
      sequence: null,
      entryId: null,
      source: { streamId: 'team-acme', streamRevision: 9, eventType: 'MemberAdded' },
      reason: 'MemberAdded at revision 9 of team-acme has no audit entry',
    });
  });

  it('finds a team event removed: an entry without its source event (extra)', async () => {
    const entry = entryRow(7).entry as AccessChangeEntry;
    db.prepare('DELETE FROM events WHERE position = ?').run(teamEventRow(entry.source.streamRevision).position);
    const removed = await audit.verify('acme');
    expect(removed.valid).toBe(false);
    expect(removed.sources).toMatchObject({ extra: 1, different: 0, missing: 0 });
    expect(removed.sources?.mismatches[0]).toMatchObject({
      kind: 'extra',
      sequence: 7,
      entryId: entry.id,
      source: { streamId: 'team-acme', streamRevision: entry.source.streamRevision },
      reason: expect.stringMatching(/no event at revision 6/),
    });
  });

  it('rewriting unsigned entries with recomputed hashes is found, and the export does not sign the rewrite', async () => {
    // Entries 9 and 10 follow the last checkpoint (8): rewrite 9's content and every hash from there on.
    const nine = entryRow(9);
    const ten = entryRow(10);
    const forged = sealEntry({ ...(nine.entry as AccessChangeEntry), actor: 'mallory', hash: undefined } as never);
    const next = sealEntry({ ...(ten.entry as AccessChangeEntry), prevHash: forged.hash, hash: undefined } as never);
    const update = db.prepare('UPDATE events SET data = ? WHERE position = ?');
    update.run(JSON.stringify(forged), nine.position);
    update.run(JSON.stringify(next), ten.position);

    // A fresh process (nothing in memory) still finds it: the entry is not what its source event gives.
    await audit.stop();
    audit = new AuditLog({ store, signer, indexPath: join(dir, 'audit-index.db'), checkpointEvery: 4 });
    const result = await audit.verify('acme');
    expect(result).toMatchObject({ valid: false, signedThrough: 8, unsignedTail: { entries: 2 } });
    expect(result.break).toBeUndefined();
    expect(result.sources?.mismatches).toEqual([
      expect.objectContaining({
        kind: 'different',
        sequence: 9,
        fields: [{ field: 'actor', entry: 'mallory', source: 'sec' }],
      }),
    ]);

    const refusals: string[] = [];
    audit = new AuditLog({
      store,
      signer,
      indexPath: join(dir, 'audit-index.db'),
      checkpointEvery: 4,
      onError: () => undefined,
      onSigningRefused: (_team, reason) => refusals.push(reason),
    });
    const ndjson = await text(await audit.export('acme', 'ndjson'));
    const last = JSON.parse(ndjson.trimEnd().split('\n').pop()!) as { kind: string; sequence: number };
    expect(last).toMatchObject({ kind: 'change', sequence: 10 }); // no checkpoint over the rewrite
    expect(refusals).toEqual([expect.stringMatching(/at entry 9: the entry differs from its source event in actor/)]);
    const offline = await verifyNdjson(Readable.from([ndjson]), signer.publicKey, { sources: store });
    expect(offline).toMatchObject({ valid: false, signedThrough: 8, unsignedTail: { entries: 2 } });
    expect(offline.sources?.mismatches[0]).toMatchObject({ kind: 'different', sequence: 9, line: 11 });
  });

  it('finds the checkpoints removed: an unsigned tail longer than the bound is reported, and not signed', async () => {
    db.prepare("DELETE FROM events WHERE stream_id = ? AND type = 'AuditCheckpointSigned'").run(auditStreamId('acme'));
    const result = await audit.verify('acme');
    expect(result).toMatchObject({ valid: false, checkpoints: 0, signedThrough: 0, unsignedTail: { entries: 10 } });
    expect(result.break).toBeUndefined();
    expect(result.unsignedTail.beyondBound).toMatch(/10 entries follow no signed checkpoint; .* every 4 entries/);

    await audit.stop();
    const refusals: string[] = [];
    audit = new AuditLog({
      store,
      signer,
      indexPath: join(dir, 'audit-index.db'),
      checkpointEvery: 4,
      onError: () => undefined,
      onSigningRefused: (_team, reason) => refusals.push(reason),
    });
    const revision = await store.streamRevision(auditStreamId('acme'));
    expect(await audit.trail.signHead('acme')).toBe(revision);
    expect(refusals).toEqual([
      expect.stringMatching(/10 entries follow the last checkpoint \(entry 0\), more than the 4/),
    ]);
  });

  it('finds a rewrite of entry and event together while the service that recorded them runs', async () => {
    await audit.stop();
    audit = new AuditLog({
      store,
      signer,
      indexPath: join(dir, 'audit-index.db'),
      checkpointEvery: 4,
      onError: () => undefined,
    });
    await mustRun(store, {
      type: 'AddMember',
      teamId: 'acme',
      data: { userId: 'eve', role: 'member' },
      metadata: at('alice'),
    });
    await audit.catchUp(); // entry 11, recorded (and so witnessed) by this process
    const eleven = entryRow(11);
    const source = teamEventRow((eleven.entry as AccessChangeEntry).source.streamRevision);
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
      source.data.replace('"role":"member"', '"role":"owner"'),
      source.position,
    );
    const recorded = eleven.entry as AccessChangeEntry;
    const forged = sealEntry({
      ...recorded,
      after: { role: 'owner' },
      source: { ...recorded.source, digest: storedDigest(recorded.source.streamRevision) },
      hash: undefined,
    } as never);
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify(forged), eleven.position);

    const result = await audit.verify('acme');
    expect(result.sources).toMatchObject({ different: 0 }); // consistent with each other…
    expect(result).toMatchObject({
      valid: false, // …but not what this process recorded
      break: { sequence: 11, record: 'entry', reason: expect.stringMatching(/not the entry this service recorded/) },
    });
    expect(await audit.trail.signHead('acme')).toBeGreaterThan(0);
    expect(audit.trail.signingRefusal('acme')?.reason).toMatch(/entry 11 is not the entry this service recorded/);
  });

  it('finds an access-review decision edited in its campaign stream after its entry was written', async () => {
    const decision = {
      id: randomUUID(),
      type: 'AccessReviewItemDecided',
      data: {
        teamId: 'acme',
        reviewId: 'q1',
        actorId: 'sec',
        occurredAt: at('sec').now,
        policyVersion: 'p',
        itemId: 'team_role:dev',
        decision: 'keep',
        justification: 'still on call',
        reviewerId: 'sec',
        supersedes: null,
      },
    };
    await store.append('access-review-acme-q1', [decision], 'no_stream');
    await audit.catchUp();
    expect(await audit.verify('acme')).toMatchObject({ valid: true, sources: { compared: 11 } });
    const row = db
      .prepare<[string], Row>('SELECT position, revision, data FROM events WHERE event_id = ?')
      .get(decision.id)!;
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
      row.data.replace('"decision":"keep"', '"decision":"revoke"'),
      row.position,
    );
    const result = await audit.verify('acme');
    expect(result.valid).toBe(false);
    expect(result.sources?.mismatches).toEqual([
      expect.objectContaining({
        kind: 'different',
        sequence: 11,
        source: expect.objectContaining({ streamId: 'access-review-acme-q1', streamRevision: 0, eventId: decision.id }),
        fields: [
          { field: 'after.decision', entry: 'keep', source: 'revoke' },
          { field: 'source.digest', entry: expect.stringMatching(/^[0-9a-f]{64}$/), source: expect.any(String) },
        ],
      }),
    ]);
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
