import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type RecordedEvent } from '@access-audit/event-store';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { APPENDERS } from './fixtures/append-loop';

const REGISTER = join(__dirname, 'fixtures', 'ts-register.js');
const APPEND_LOOP = join(__dirname, 'fixtures', 'append-loop.ts');

interface KilledRun {
  acknowledged: string[];
  /** Appends per transaction, as the child reported them. */
  groups: number[];
}

/**
 * Appends this run must have seen acknowledged, and at least one shared transaction, before the kill: what the test
 * proves needs them, and a busy machine's slow fsyncs must not leave a run short of them.
 */
const ACKS_BEFORE_KILL = 30;

/**
 * Runs the append loops against the file, kills them with SIGKILL once `runMs` have passed and the run has
 * ACKS_BEFORE_KILL acknowledged appends and a transaction shared by two or more, and returns what they reported.
 */
function appendUntilKilled(path: string, runMs: number): Promise<KilledRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', REGISTER, APPEND_LOOP, path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    let killTimer: NodeJS.Timeout | undefined;
    let ranLongEnough = false;
    let killed = false;
    let scanned = 0;
    let acks = 0;
    let shared = false;
    const killWhenDue = (): void => {
      if (killed || !ranLongEnough || acks < ACKS_BEFORE_KILL || !shared) return;
      killed = true;
      child.kill('SIGKILL');
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const complete = output.lastIndexOf('\n') + 1;
      for (const line of output.slice(scanned, complete).split('\n')) {
        if (line.startsWith('ack ')) acks += 1;
        else if (line.startsWith('group ') && Number(line.slice('group '.length)) > 1) shared = true;
      }
      scanned = Math.max(scanned, complete);
      if (killTimer === undefined && output.startsWith('ready\n')) {
        killTimer = setTimeout(() => {
          ranLongEnough = true;
          killWhenDue();
        }, runMs);
      }
      killWhenDue();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      if (signal !== 'SIGKILL') {
        reject(new Error(`the append loop ended on its own (code ${String(code)}): ${errors}`));
        return;
      }
      const lines = output.split('\n');
      lines.pop(); // the last line may be cut off by the kill
      const reported = (prefix: string) =>
        lines.filter((line) => line.startsWith(prefix)).map((line) => line.slice(prefix.length));
      resolve({ acknowledged: reported('ack '), groups: reported('group ').map(Number) });
    });
  });
}

async function readEverything(store: SqliteEventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
}

describe('SQLite adapter under SIGKILL', () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'event-store-crash-'));
  });
  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('keeps every acknowledged append of concurrent appenders exactly once, with contiguous revisions, across two kills', async () => {
    const path = join(directory, 'events.db');
    const runs = [await appendUntilKilled(path, 1200), await appendUntilKilled(path, 800)];
    const acknowledged = runs.flatMap((run) => run.acknowledged);
    expect(acknowledged.length).toBeGreaterThan(50);
    // Appends shared transactions, so what is proved below holds for group commit.
    for (const run of runs) expect(Math.max(...run.groups)).toBeGreaterThan(1);

    const integrity = new Database(path, { readonly: true });
    expect(integrity.pragma('integrity_check', { simple: true })).toBe('ok');
    integrity.close();

    const store = new SqliteEventStore(path);
    try {
      const events = await readEverything(store);
      const ids = events.map((event) => event.id);
      expect(new Set(ids).size).toBe(ids.length);
      const stored = new Set(ids);
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      // At most the one append in flight per appender and kill may be stored without having been acknowledged.
      expect(events.length - acknowledged.length).toBeLessThanOrEqual(2 * APPENDERS);

      const byStream = new Map<string, number[]>();
      for (const event of events)
        byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event.revision]);
      for (const revisions of byStream.values()) {
        expect(revisions).toEqual(revisions.map((_, index) => index));
      }
      for (let i = 1; i < events.length; i++) {
        expect(store.comparePositions(events[i - 1].position, events[i].position)).toBeLessThan(0);
      }
    } finally {
      await store.close();
    }
  }, 30_000);
});
