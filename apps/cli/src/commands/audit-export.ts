import { openSubjectKeys } from '@access-audit/privacy';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  AuditLog,
  auditExportFormats,
  loadCheckpointSigner,
  type AuditExportFormat,
  type AuditFilter,
} from '@access-audit/audit';
import { teamStreamId } from '@access-audit/domain';
import type { EventStore } from '@access-audit/event-store';
import { openEventStore } from '@access-audit/event-store/open';
import { ConfigError, loadApiConfig, idPattern } from '@access-audit/config';
import { parseCliArgs, UsageError, type CliCommand } from '../cli-command';

interface ExportArgs {
  teamId: string;
  format: AuditExportFormat;
  out?: string;
  filter: AuditFilter;
}

const filterOptions = {
  actor: 'actor',
  subject: 'subject',
  project: 'projectId',
  type: 'type',
  from: 'from',
  to: 'to',
} as const satisfies Record<string, keyof AuditFilter>;

function parseArgs(args: string[]): ExportArgs {
  const { values } = parseCliArgs(args, {
    team: { type: 'string' },
    format: { type: 'string', default: 'ndjson' },
    out: { type: 'string' },
    actor: { type: 'string' },
    subject: { type: 'string' },
    project: { type: 'string' },
    type: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
  });
  const { team: teamId, out } = values;
  if (!(auditExportFormats as readonly string[]).includes(values.format)) {
    throw new UsageError('--format must be ndjson or csv');
  }
  const format = values.format as AuditExportFormat;
  const filter: AuditFilter = {};
  for (const [option, field] of Object.entries(filterOptions)) {
    const value = values[option as keyof typeof filterOptions];
    if (value !== undefined) filter[field] = value;
  }
  if (teamId === undefined) throw new UsageError('--team <id> is required');
  if (!idPattern.test(teamId)) throw new UsageError('--team must be a team id');
  for (const instant of [filter.from, filter.to]) {
    if (instant !== undefined && Number.isNaN(Date.parse(instant)))
      throw new UsageError(`not an ISO-8601 instant: ${instant}`);
  }
  return { teamId, format, filter, ...(out !== undefined ? { out } : {}) };
}

/** The store's kind and, for files, the path; never a connection string (it may hold credentials). */
const storeKind = (connectionString: string): string =>
  connectionString.startsWith('sqlite:') || connectionString === 'memory:'
    ? connectionString
    : (connectionString.split('://')[0] ?? 'external');

export const command: CliCommand = {
  summary:
    "Exports a team's audit log from the local store (EVENT_STORE / DATA_DIR), recording any entry the API has not yet; unfiltered NDJSON ends with a checkpoint signed for the export.",
  usage:
    'npm run -s audit:export -- --team <id> [--format ndjson|csv] [--out <file>] [--actor <id>] [--subject <id>] [--project <id>] [--type <action>] [--from <instant>] [--to <instant>]',
  async run(args) {
    const options = parseArgs(args);
    let config;
    try {
      config = loadApiConfig();
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(`configuration: ${error.message}`);
      throw error;
    }
    const signer = loadCheckpointSigner({ keyPath: process.env.AUDIT_SIGNING_KEY, dataDir: config.dataDir });
    // The same key store as the API's: the export opens personal fields as an answer does (or "[erased]"). Opened
    // first: a master key that opens none of its keys stops the export before a connection pool is left open.
    const personalData = await openSubjectKeys({
      eventStore: config.eventStore,
      dataDir: config.dataDir,
      masterKey: process.env.PRIVACY_MASTER_KEY,
      previousMasterKey: process.env.PRIVACY_MASTER_KEY_PREVIOUS,
    });
    let store: EventStore;
    try {
      store = await openEventStore(config.eventStore, { dataDir: config.dataDir });
    } catch (error) {
      await personalData.close();
      throw error;
    }
    const audit = new AuditLog({
      store,
      personalData,
      signer,
      indexPath: config.eventStore === 'memory:' ? ':memory:' : join(config.dataDir, 'audit-index.db'),
    });
    try {
      if ((await store.streamRevision(teamStreamId(options.teamId))) < 0) {
        process.stderr.write(
          `team ${options.teamId} does not exist in the event store (${storeKind(config.eventStore)})\n`,
        );
        return 1;
      }
      await audit.catchUp();
      const output = await audit.export(options.teamId, options.format, options.filter);
      try {
        await pipeline(output, options.out === undefined ? process.stdout : createWriteStream(resolve(options.out)));
      } catch (error) {
        // The reader went away (`| head`): not a failure of the export.
        if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0;
        throw error;
      }
      if (options.out !== undefined) process.stderr.write(`wrote ${resolve(options.out)}\n`);
      return 0;
    } finally {
      await audit.stop();
      await personalData.close();
      await store.close();
    }
  },
};
