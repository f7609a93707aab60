import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventToAppend } from '@access-audit/event-store';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { sealEntry } from './chain';
import { auditEventTypes, auditStreamId, genesisHash, type UnsealedAuditEntry } from './entry';
import { auditEntryIdFor, checkpointIdFor } from './ids';
import { CheckpointSigner } from './signing';
import { removeTranspiledSources, runSourceFile } from './testing/transpiled-child';

const entries = 100_000;
/** Signed every 100 entries, as the audit trail does; the last 100 (refusals, which have no source event) are not yet. */
const checkpointEvery = 100;
const checkpoints = entries / checkpointEvery - 1;
/** ~1 KB per line: the whole export is ~100 MB of text, several times more once parsed into objects. */
const reason = 'quarterly access review: '.padEnd(600, 'x');
/** The export is ~100 MB of text: more than the child's whole heap. */
const exportBytesAtLeast = 90 * 1024 * 1024;
/**
 * The child's old generation is capped well below the export's size, so an export that held the selection would die
 * with "heap out of memory". The stream holds a page of 500 events (~1 MB parsed) plus the reader's 64 KB buffer; the
 * bounds leave room for garbage not yet collected (heap) and for the SQLite page cache and allocator slack (RSS).
 */
const heapCapMb = 64;
const heapGrowthBound = heapCapMb * 1024 * 1024;
const rssGrowthBound = 128 * 1024 * 1024;

function entryAt(sequence: number, prevHash: string): UnsealedAuditEntry {
  const id = auditEntryIdFor(`00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`);
  const common = {
    id,
    teamId: 'big',
    sequence,
    time: new Date(Date.UTC(2026, 0, 1) + sequence * 1000).toISOString(),
    actor: `user-${sequence % 97}`,
    target: { userId: `user-${sequence % 89}` },
    reason,
    context: { ip: '203.0.113.7', userAgent: 'curl/8.5.0', requestId: `req-${sequence}` },
    policyVersion: '2026-11-26.1',
    prevHash,
  };
  if (sequence > entries - checkpointEvery) {
    return {
      ...common,
      kind: 'denial',
      action: 'access.denied',
      denial: {
        commandType: 'ChangeTeamRole',
        rejection: 'forbidden',
        permission: 'team.members.roles.manage',
        rule: null,
        message: 'no',
        suppressedBefore: 0,
      },
    };
  }
  return {
    ...common,
    kind: 'change',
    action: 'team.member.role.updated',
    before: { role: 'developer' },
    after: { role: 'member' },
    cause: null,
    source: {
      eventId: id,
      eventType: 'TeamRoleChanged',
      streamId: 'team-big',
      streamRevision: sequence - 1,
      position: String(sequence),
    },
  };
}

describe('audit export of 100k entries', () => {
  let dir: string;
  let keyPath: string;
  let store: SqliteEventStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-export-'));
    const { privateKey } = generateKeyPairSync('ed25519');
    keyPath = join(dir, 'audit-signing-key.pem');
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const signer = new CheckpointSigner(privateKey);
    store = new SqliteEventStore(join(dir, 'events.db'));
    let prevHash = genesisHash;
    let revision = -1;
    for (let start = 0; start < entries; start += 2_000) {
      const batch: EventToAppend[] = [];
      for (let sequence = start + 1; sequence <= start + 2_000; sequence++) {
        const entry = sealEntry(entryAt(sequence, prevHash));
        prevHash = entry.hash;
        const type = entry.kind === 'denial' ? auditEventTypes.accessDenied : auditEventTypes.entryRecorded;
        batch.push({ id: entry.id, type, data: entry });
        if (sequence % checkpointEvery === 0 && sequence < entries) {
          batch.push({
            id: checkpointIdFor('big', sequence),
            type: auditEventTypes.checkpointSigned,
            data: signer.sign('big', sequence, entry.hash, entry.time),
          });
        }
      }
      revision = (await store.append(auditStreamId('big'), batch, revision < 0 ? 'no_stream' : revision))
        .streamRevision;
    }
    await store.close();
  }, 60_000);

  afterAll(() => {
    removeTranspiledSources();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams NDJSON through a slow reader in bounded memory', async () => {
    // A child process of its own, with an old-generation cap the whole export could not fit in.
    const result = await runSourceFile(
      'libs/audit/src/testing/export-memory-probe.ts',
      [join(dir, 'events.db'), 'big', keyPath],
      {
        nodeOptions: [`--max-old-space-size=${heapCapMb}`],
      },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const measured = JSON.parse(result.stdout) as {
      lines: number;
      bytes: number;
      heapGrowth: number;
      rssGrowth: number;
    };
    // Every entry and checkpoint, then the checkpoint signed for the export over the verified unsigned tail.
    expect(measured.lines).toBe(entries + checkpoints + 1);
    expect(measured.bytes).toBeGreaterThan(exportBytesAtLeast);
    expect(measured.heapGrowth).toBeLessThan(heapGrowthBound);
    expect(measured.rssGrowth).toBeLessThan(rssGrowthBound);
  }, 60_000);
});
