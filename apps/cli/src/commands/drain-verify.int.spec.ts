import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditLog,
  canonicalJson,
  CheckpointSigner,
  signDrainBody,
  type AuditRecord,
  type StoredDelivery,
} from '@access-audit/audit';
import { MemoryEventStore } from '@access-audit/event-store';
import { enterpriseHistory } from '../../../../libs/audit/src/testing/audit-fixtures';
import { UsageError } from '../cli-command';
import { command } from './drain-verify';

/** drain:verify on deliveries a receiver stored: built here from a real audit stream, batched and signed as drains do. */
describe('drain:verify', () => {
  const secret = 'drain-secret-for-the-test-0123456789abcdef';
  const signer = CheckpointSigner.generate();
  let dir: string;
  let keyFile: string;
  let secretFile: string;
  let lines: string[];
  let out: string[];
  let err: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drain-verify-cli-'));
    const store = new MemoryEventStore();
    await enterpriseHistory(store);
    const audit = new AuditLog({ store, signer, indexPath: ':memory:', checkpointEvery: 4 });
    await audit.catchUp();
    const records: AuditRecord[] = [];
    for await (const record of await audit.exportRecords('acme')) records.push(record);
    lines = records.map((record) => `${canonicalJson(record)}\n`);
    await audit.stop();
    await store.close();
    keyFile = join(dir, 'audit-public-key.pem');
    writeFileSync(keyFile, signer.publicKeyPem);
    secretFile = join(dir, 'secret');
    writeFileSync(secretFile, `${secret}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(() => {
    out = [];
    err = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0);
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => err.push(String(chunk)) > 0);
  });
  afterEach(() => jest.restoreAllMocks());

  const now = Math.floor(Date.parse('2026-03-02T10:00:00Z') / 1000);
  const delivery = (
    batch: string[],
    options: { t?: number; receivedAt?: number; key?: string } = {},
  ): StoredDelivery => {
    const body = batch.join('');
    const t = options.t ?? now;
    return {
      receivedAt: new Date((options.receivedAt ?? t) * 1000).toISOString(),
      drainId: 'drn_1',
      signature: signDrainBody(options.key ?? secret, body, t),
      body,
    };
  };
  const file = (deliveries: StoredDelivery[]): string => {
    const path = join(dir, `deliveries-${Math.random().toString(36).slice(2)}.ndjson`);
    writeFileSync(path, deliveries.map((d) => `${JSON.stringify(d)}\n`).join(''));
    return path;
  };
  const run = (path: string, ...extra: string[]) =>
    command.run([path, '--public-key', keyFile, '--secret-file', secretFile, ...extra]);

  it('accepts every entry in order, with a batch delivered twice (exact repeats)', async () => {
    const path = file([delivery(lines.slice(0, 5)), delivery(lines.slice(0, 5)), delivery(lines.slice(5))]);
    expect(await run(path)).toBe(0);
    expect(out.join('')).toMatch(/^valid: 3 deliveries, \d+ records \(5 exact repeats\), entries 1\.\.10 of team acme/);
  });

  it('refuses a gap: a batch never stored', async () => {
    expect(await run(file([delivery(lines.slice(0, 3)), delivery(lines.slice(5))]))).toBe(1);
    expect(err.join('')).toMatch(/the chain breaks at entry \d+ \(line 2\)/);
  });

  it('refuses an altered entry even when re-signed with the secret (the chain breaks there)', async () => {
    const altered = [...lines];
    altered[2] = altered[2]!.replace('"actor":"alice"', '"actor":"mallory"');
    expect(altered[2]).not.toBe(lines[2]);
    expect(await run(file([delivery(altered)]))).toBe(1);
    expect(err.join('')).toContain('the chain breaks at entry 3');
  });

  it('refuses a repeat that differs from what was first received with that sequence', async () => {
    const altered = [...lines];
    altered[1] = altered[1]!.replace('"actor":"alice"', '"actor":"mallory"');
    expect(await run(file([delivery(lines), delivery(altered.slice(1, 2))]))).toBe(1);
    expect(err.join('')).toContain('line 2: entry 2 was received before with different content');
  });

  it('refuses a signature made with another key, and a delivery replayed outside the window', async () => {
    expect(await run(file([delivery(lines, { key: 'another-secret' })]))).toBe(1);
    expect(err.join('')).toContain('line 1: the signature does not match the body');
    err.length = 0;
    expect(await run(file([delivery(lines, { receivedAt: now + 3600 })]))).toBe(1);
    expect(err.join('')).toContain('outside the 300 s replay window');
    expect(await run(file([delivery(lines, { receivedAt: now + 3600 })]), '--tolerance', '7200')).toBe(0);
  });

  it('takes the secret from DRAIN_SECRET, never from an argument, and needs the public key', async () => {
    const path = file([delivery(lines)]);
    process.env.DRAIN_SECRET = secret;
    try {
      expect(await command.run([path, '--public-key', keyFile, '--json'])).toBe(0);
      expect(JSON.parse(out.join(''))).toMatchObject({ valid: true, deliveries: 1, duplicates: 0 });
    } finally {
      delete process.env.DRAIN_SECRET;
    }
    await expect(command.run([path, '--public-key', keyFile])).rejects.toThrow(UsageError);
    await expect(command.run([path, '--secret-file', secretFile])).rejects.toThrow(/--public-key/);
  });
});
