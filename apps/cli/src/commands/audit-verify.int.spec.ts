import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditLog, loadCheckpointSigner, type AuditVerification } from '@access-audit/audit';
import { teamStreamId } from '@access-audit/domain';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { enterpriseHistory } from '../../../../libs/audit/src/testing/audit-fixtures';
import { UsageError } from '../cli-command';
import { command } from './audit-verify';

const text = async (stream: NodeJS.ReadableStream): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
};

/** audit:verify against the local store (EVENT_STORE / DATA_DIR), after a team event was edited in events.db. */
describe('audit:verify', () => {
  const saved = { EVENT_STORE: process.env.EVENT_STORE, DATA_DIR: process.env.DATA_DIR };
  let dataDir: string;
  let exportFile: string;
  let keyFile: string;
  let out: string[];
  let err: string[];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'audit-verify-cli-'));
    const store = new SqliteEventStore(join(dataDir, 'events.db'));
    await enterpriseHistory(store);
    const signer = loadCheckpointSigner({ dataDir });
    const audit = new AuditLog({ store, signer, indexPath: join(dataDir, 'audit-index.db') });
    await audit.catchUp();
    exportFile = join(dataDir, 'acme.ndjson');
    writeFileSync(exportFile, await text(await audit.export('acme', 'ndjson')));
    keyFile = join(dataDir, 'audit-public-key.pem');
    writeFileSync(keyFile, signer.publicKeyPem);
    await audit.stop();
    await store.close();
    const db = new Database(join(dataDir, 'events.db'));
    const row = db
      .prepare<[string], { position: number; data: string }>(
        `SELECT position, data FROM events WHERE stream_id = ? AND data LIKE '%"userId":"dev"%' AND type = 'MemberAdded'`,
      )
      .get(teamStreamId('acme'))!;
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
      row.data.replace('"role":"developer"', '"role":"owner"'),
      row.position,
    );
    db.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  beforeEach(() => {
    process.env.DATA_DIR = dataDir;
    delete process.env.EVENT_STORE;
    out = [];
    err = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0);
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => err.push(String(chunk)) > 0);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const storedEvents = (): number => {
    const db = new Database(join(dataDir, 'events.db'), { readonly: true });
    try {
      return db.prepare<[], number>('SELECT COUNT(*) FROM events').pluck().get()!;
    } finally {
      db.close();
    }
  };

  it('--team: finds the edited event in the store, with the service key read from DATA_DIR (nothing written)', async () => {
    const before = storedEvents();
    expect(await command.run(['--team', 'acme'])).toBe(1);
    expect(storedEvents()).toBe(before);
    const report = err.join('');
    expect(report).toMatch(
      /^INVALID: entries of team acme do not match their source events; the chain itself is intact/,
    );
    expect(report).toContain('10 change entries compared with their source events: 1 different, 0 missing, 0 extra');
    expect(report).toMatch(
      /different entry 4 \(audit stream revision \d+, entry id [0-9a-f-]+\), source team-acme revision 3/,
    );
    expect(report).toContain('after.role: entry "developer", source event "owner"');
  });

  it('--team --json: the whole verification, sources and unsigned tail included', async () => {
    expect(await command.run(['--team', 'acme', '--json', '--public-key', keyFile])).toBe(1);
    const result = JSON.parse(out.join('')) as AuditVerification;
    expect(result).toMatchObject({
      valid: false,
      teamId: 'acme',
      entries: 10,
      signedThrough: 10,
      unsignedTail: { entries: 0, since: null },
      sources: { compared: 10, different: 1, mismatches: [expect.objectContaining({ sequence: 4 })] },
    });
  });

  it('an export on its own checks chain and signatures only, and says so; --against-store finds the edit', async () => {
    expect(await command.run([exportFile, '--public-key', keyFile])).toBe(0);
    expect(out.join('')).toMatch(/^valid: 10 entries of team acme, .* 0 unsigned\nsource events not checked/);
    out.length = 0;
    expect(await command.run([exportFile, '--public-key', keyFile, '--against-store'])).toBe(1);
    expect(err.join('')).toMatch(/different entry 4 \(line 4, entry id [0-9a-f-]+\)/);
  });

  it('refuses an export together with --team, a team id that is not one, and an unknown team', async () => {
    await expect(command.run([exportFile, '--team', 'acme', '--public-key', keyFile])).rejects.toThrow(UsageError);
    await expect(command.run(['--team', 'no/such'])).rejects.toThrow('--team must be a team id');
    expect(await command.run(['--team', 'nowhere'])).toBe(1);
    expect(err.join('')).toContain('team nowhere does not exist');
  });
});
