import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryEventStore, type EventStore } from '@access-audit/event-store';
import { openEventStore } from '@access-audit/event-store/open';
import {
  AccessReadModels,
  appendFixture,
  openReadModelDatabase,
  parseFixture,
  readCheckpoint,
  rebuildReadModels,
  verifyReadModels,
  type ReplayProgress,
  type ReplayResult,
  type VerifyResult,
} from '@access-audit/projections';
import { ConfigError, loadApiConfig, readModelPath } from '@access-audit/config';
import { parseCliArgs, UsageError, type CliCommand } from '../cli-command';

interface ReplayArgs {
  verify: boolean;
  dataDir?: string;
  fixture?: string;
}

function parseArgs(args: string[]): ReplayArgs {
  const { values } = parseCliArgs(args, {
    verify: { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    fixture: { type: 'string' },
  });
  const parsed: ReplayArgs = {
    verify: values.verify,
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    ...(values.fixture !== undefined ? { fixture: values.fixture } : {}),
  };
  if (parsed.fixture !== undefined && !parsed.verify) throw new UsageError('--fixture goes with --verify');
  return parsed;
}

const number = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Names each team whose event failed in the rebuild (their queries answer 503). */
function reportQuarantined(quarantined: ReplayResult['quarantined']): void {
  for (const { teamId, event } of quarantined) {
    process.stderr.write(
      `team ${teamId} is quarantined: event ${event.id} (${event.type}, position ${event.position}, stream revision ${event.streamRevision}) could not be applied; its queries answer 503\n`,
    );
  }
}

/** A progress bar on a terminal; a plain line about once a second otherwise (logs, CI). */
function progressReporter(total: number | undefined): { report: (p: ReplayProgress) => void; done: () => void } {
  const out = process.stderr;
  let lastLine = 0;
  const rate = (p: ReplayProgress) => (p.elapsedMs > 0 ? (p.events / p.elapsedMs) * 1000 : 0);
  if (out.isTTY) {
    const width = 30;
    return {
      report: (p) => {
        const share = total ? Math.min(1, p.events / total) : 0;
        const filled = Math.round(share * width);
        const bar = total
          ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% `
          : '';
        out.write(
          `\r${bar}${number(p.events)}${total ? `/${number(total)}` : ''} events  ${number(rate(p))} events/s   `,
        );
      },
      done: () => out.write('\n'),
    };
  }
  return {
    report: (p) => {
      if (p.elapsedMs - lastLine < 1000 && !(total && p.events >= total)) return;
      lastLine = p.elapsedMs;
      out.write(
        `replayed ${number(p.events)}${total ? ` of ${number(total)}` : ''} events, ${number(rate(p))} events/s\n`,
      );
    },
    done: () => undefined,
  };
}

function printVerdict(result: VerifyResult): number {
  const out = process.stdout;
  out.write(
    `rebuilt ${number(result.events)} events in ${(result.elapsedMs / 1000).toFixed(2)} s (${number(result.eventsPerSecond)} events/s)\n`,
  );
  reportQuarantined(result.quarantined);
  for (const m of result.models) {
    const shown = m.model === 'checkpoint' ? m.live : m.live.slice(0, 16);
    out.write(
      `  ${m.matches ? 'ok      ' : 'MISMATCH'} ${m.model.padEnd(20)} ${shown}${m.matches ? '' : `  (rebuilt: ${m.model === 'checkpoint' ? m.rebuilt : m.rebuilt.slice(0, 16)})`}\n`,
    );
  }
  if (result.mismatched.length) {
    process.stderr.write(
      `replay --verify failed: ${result.mismatched.join(', ')} differ from a rebuild from position zero\n`,
    );
    return 1;
  }
  out.write('every read model matches a rebuild from position zero\n');
  return 0;
}

/** Loads the fixture into a scratch store and projects it the way the API does, as the "live" side to verify. */
async function fixtureLive(path: string): Promise<{ store: EventStore; live: AccessReadModels }> {
  const store = new MemoryEventStore();
  const loaded = await appendFixture(store, parseFixture(readFileSync(path, 'utf8')));
  process.stderr.write(`loaded ${number(loaded.events)} events of ${loaded.streams} stream(s) from ${path}\n`);
  const live = AccessReadModels.open(store, ':memory:');
  live.start();
  const head = await store.headPosition();
  if (head !== undefined && !(await live.runner.waitUntilReflects(head, 60_000)))
    throw new Error('the fixture projection did not catch up');
  await live.runner.stop();
  return { store, live };
}

async function verify(store: EventStore, livePath: string | undefined, live?: Database.Database): Promise<number> {
  const liveDb = live ?? new Database(livePath!, { readonly: true, fileMustExist: true });
  const scratchDir = mkdtempSync(join(tmpdir(), 'access-audit-replay-'));
  const scratch = openReadModelDatabase(join(scratchDir, 'read-models.db'), { scratch: true });
  try {
    const progress = progressReporter(readCheckpoint(liveDb)?.processed);
    const result = await verifyReadModels(store, liveDb, scratch, { onProgress: progress.report });
    progress.done();
    return printVerdict(result);
  } finally {
    scratch.close();
    if (!live) liveDb.close();
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

/** Rebuilds the read models from position zero and puts them in place of the live file (with the API stopped). */
async function rebuild(store: EventStore, livePath: string): Promise<number> {
  const next = `${livePath}.rebuild`;
  rmSync(next, { force: true });
  const db = openReadModelDatabase(next, { scratch: true });
  const progress = progressReporter(undefined);
  const result = await rebuildReadModels(store, db, { onProgress: progress.report });
  progress.done();
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${livePath}${suffix}`, { force: true });
  renameSync(next, livePath);
  process.stdout.write(
    `rebuilt ${number(result.events)} events into ${livePath} (${number(result.eventsPerSecond)} events/s)\n`,
  );
  reportQuarantined(result.quarantined);
  return 0;
}

export const command: CliCommand = {
  summary:
    'Rebuilds every read model from position zero; with --verify, into a scratch database, comparing a digest of each with the live one.',
  usage:
    'npm run replay -- --verify [--data-dir <dir>] [--fixture <file.ndjson>]   (without --verify: rebuild the live read models; stop the API first)',
  async run(argv) {
    const args = parseArgs(argv);
    if (args.fixture !== undefined) {
      const path = resolve(args.fixture);
      if (!existsSync(path)) throw new UsageError(`no fixture at ${path}`);
      const { store, live } = await fixtureLive(path);
      try {
        return await verify(store, undefined, live.db);
      } finally {
        await live.close();
        await store.close();
      }
    }
    let config;
    try {
      config = loadApiConfig({ ...process.env, ...(args.dataDir !== undefined ? { DATA_DIR: args.dataDir } : {}) });
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(`configuration: ${error.message}`);
      throw error;
    }
    const livePath = readModelPath(config);
    if (livePath === ':memory:') throw new UsageError('EVENT_STORE=memory: keeps nothing to replay; use --fixture');
    if (args.verify && !existsSync(livePath)) {
      process.stderr.write(
        `no read models at ${livePath}: the API builds them on start (or run replay without --verify)\n`,
      );
      return 1;
    }
    const store = await openEventStore(config.eventStore, { dataDir: config.dataDir });
    try {
      return args.verify ? await verify(store, livePath) : await rebuild(store, livePath);
    } finally {
      await store.close();
    }
  },
};
