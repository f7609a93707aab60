import { createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import {
  auditSigningKeyFileName,
  readPublicKey,
  verifyAuditStream,
  verifyNdjson,
  type AuditVerification,
  type SourceMismatch,
} from '@access-audit/audit';
import { teamStreamId } from '@access-audit/domain';
import type { EventStore } from '@access-audit/event-store';
import { openEventStore } from '@access-audit/event-store/open';
import { ConfigError, idPattern, loadApiConfig, type ApiConfig } from '@access-audit/config';
import { parseCliArgs, UsageError, type CliCommand } from '../cli-command';

interface VerifyArgs {
  /** An NDJSON export (`-`: standard input); absent: the team's audit stream in the local store. */
  exportPath?: string;
  teamId?: string;
  publicKeyPath?: string;
  againstStore: boolean;
  json: boolean;
  allowUnsignedTail: boolean;
}

function parseArgs(args: string[]): VerifyArgs {
  const { values, positionals } = parseCliArgs(
    args,
    {
      'public-key': { type: 'string' },
      team: { type: 'string' },
      'against-store': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'allow-unsigned-tail': { type: 'boolean', default: false },
    },
    true,
  );
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
  const [exportPath] = positionals;
  const { team: teamId, 'public-key': publicKeyPath, json } = values;
  const { 'against-store': againstStore, 'allow-unsigned-tail': allowUnsignedTail } = values;
  if (exportPath === undefined && teamId === undefined) {
    throw new UsageError('give an export file (- for standard input) or --team <id> to verify the local store');
  }
  if (exportPath !== undefined && teamId !== undefined) {
    throw new UsageError('give an export file or --team, not both (--against-store compares an export with the store)');
  }
  if (teamId !== undefined && !idPattern.test(teamId)) throw new UsageError('--team must be a team id');
  if (exportPath !== undefined && publicKeyPath === undefined) {
    throw new UsageError('--public-key <file> is required with an export (GET /v1/audit/public-key)');
  }
  return {
    ...(exportPath !== undefined ? { exportPath } : {}),
    ...(teamId !== undefined ? { teamId } : {}),
    ...(publicKeyPath !== undefined ? { publicKeyPath } : {}),
    againstStore,
    json,
    allowUnsignedTail,
  };
}

function loadConfig(): ApiConfig {
  try {
    return loadApiConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`configuration: ${error.message}`);
    throw error;
  }
}

/** The given public key; else the public half of the service's signing key (read, never generated). */
function publicKeyOf(options: VerifyArgs, config: ApiConfig | undefined): KeyObject {
  if (options.publicKeyPath !== undefined) {
    try {
      return readPublicKey(readFileSync(resolve(options.publicKeyPath), 'utf8'));
    } catch (error) {
      throw new UsageError(`cannot read the public key ${options.publicKeyPath}: ${(error as Error).message}`);
    }
  }
  const keyPath = resolve(process.env.AUDIT_SIGNING_KEY ?? join(config!.dataDir, auditSigningKeyFileName));
  try {
    return readPublicKey(createPublicKey(readFileSync(keyPath)).export({ type: 'spki', format: 'pem' }).toString());
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `no audit signing key readable at ${keyPath}${code ? ` (${code})` : ''}; pass --public-key <file> (GET /v1/audit/public-key)`,
    );
  }
}

const hasMismatches = (result: AuditVerification): boolean =>
  result.sources !== null && result.sources.different + result.sources.missing + result.sources.extra > 0;

/**
 * Whether the answer is accepted: chain and sources intact, and the unsigned tail within bound (an export: none at all,
 * as every export ends with a checkpoint), unless `--allow-unsigned-tail`.
 */
function accepted(result: AuditVerification, options: VerifyArgs): { valid: boolean; unsigned?: string } {
  if (result.break || hasMismatches(result)) return { valid: false };
  if (options.allowUnsignedTail) return { valid: true };
  const tail = result.unsignedTail;
  if (tail.beyondBound) return { valid: false, unsigned: tail.beyondBound };
  if (options.exportPath !== undefined && tail.entries > 0) {
    const unsigned =
      result.signedThrough === 0
        ? `no signed checkpoint vouches for the ${result.entries} entries`
        : `entries ${result.signedThrough + 1}..${result.entries} are not covered by a signed checkpoint`;
    return { valid: false, unsigned };
  }
  return { valid: true };
}

function where(parts: Array<string | undefined>): string {
  const named = parts.filter(Boolean).join(', ');
  return named ? ` (${named})` : '';
}

function describeMismatch(mismatch: SourceMismatch): string {
  const at =
    mismatch.sequence === null
      ? 'after the last entry'
      : `${mismatch.kind === 'missing' ? 'before ' : ''}entry ${mismatch.sequence}`;
  const place = where([
    mismatch.line !== undefined ? `line ${mismatch.line}` : undefined,
    mismatch.streamRevision !== undefined ? `audit stream revision ${mismatch.streamRevision}` : undefined,
    mismatch.entryId ? `entry id ${mismatch.entryId}` : undefined,
  ]);
  const source = `${mismatch.source.streamId} revision ${mismatch.source.streamRevision}${
    mismatch.source.eventId ? `, event ${mismatch.source.eventId}` : ''
  }${mismatch.source.eventType ? ` (${mismatch.source.eventType})` : ''}`;
  const fields = mismatch.fields
    .map(
      (field) => `${field.field}: entry ${JSON.stringify(field.entry)}, source event ${JSON.stringify(field.source)}`,
    )
    .join('; ');
  return `  ${mismatch.kind} ${at}${place}, source ${source}: ${mismatch.reason}${fields ? ` [${fields}]` : ''}`;
}

function describe(result: AuditVerification, unsigned: string | undefined, valid: boolean): string {
  const team = result.teamId ?? '?';
  const lines: string[] = [];
  const summary = `${result.entries} entries of team ${team}, head ${result.head ?? '(empty)'}, signed through entry ${result.signedThrough} (${result.checkpoints} checkpoint(s)), ${result.unsignedTail.entries} unsigned`;
  const sources = result.sources;
  const sourceLine =
    sources === null
      ? 'source events not checked (an export on its own; --against-store compares it with the local event store)'
      : `${sources.compared} change entries compared with their source events: ${sources.different} different, ${sources.missing} missing, ${sources.extra} extra; ${sources.unrecorded} event(s) not recorded yet${
          sources.uncommitted > 0
            ? `; ${sources.uncommitted} entr(ies) recorded before entries committed to their whole source event, compared field by field only`
            : ''
        }`;
  if (result.break) {
    const place = where([
      result.break.line !== undefined ? `line ${result.break.line}` : undefined,
      result.break.streamRevision !== undefined ? `audit stream revision ${result.break.streamRevision}` : undefined,
      result.break.entryId ? `entry id ${result.break.entryId}` : undefined,
    ]);
    lines.push(
      `INVALID: the chain of team ${team} breaks at entry ${result.break.sequence}${place}: ${result.break.reason}`,
    );
  } else if (hasMismatches(result)) {
    lines.push(
      `INVALID: entries of team ${team} do not match their source events; the chain itself is intact: ${summary}`,
    );
  } else if (!valid) {
    lines.push(`INVALID: ${unsigned ?? 'the unsigned tail'}; the chain itself is intact: ${summary}`);
  } else {
    lines.push(`valid: ${summary}`);
  }
  lines.push(sourceLine);
  if (sources) lines.push(...sources.mismatches.map(describeMismatch));
  if (sources && sources.mismatches.length < sources.different + sources.missing + sources.extra) {
    lines.push(`  … and ${sources.different + sources.missing + sources.extra - sources.mismatches.length} more`);
  }
  if (result.break && unsigned) lines.push(`unsigned tail: ${unsigned}`);
  return lines.join('\n');
}

async function withStore<T>(config: ApiConfig, work: (store: EventStore) => Promise<T>): Promise<T> {
  const store = await openEventStore(config.eventStore, { dataDir: config.dataDir });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function verify(options: VerifyArgs): Promise<AuditVerification | undefined> {
  const needsStore = options.teamId !== undefined || options.againstStore;
  const config = needsStore ? loadConfig() : undefined;
  const publicKey = publicKeyOf(options, config);
  if (options.exportPath !== undefined) {
    const input: Readable = options.exportPath === '-' ? process.stdin : createReadStream(resolve(options.exportPath));
    if (!config) return verifyNdjson(input, publicKey);
    return withStore(config, (store) => verifyNdjson(input, publicKey, { sources: store }));
  }
  const teamId = options.teamId!;
  return withStore(config!, async (store) => {
    if ((await store.streamRevision(teamStreamId(teamId))) < 0) return undefined;
    return verifyAuditStream(store, teamId, publicKey);
  });
}

export const command: CliCommand = {
  summary:
    'Verifies a team audit log: an NDJSON export offline (hash chain, checkpoint signatures; with --against-store also each entry against its source event), or with --team the audit stream in the local store (EVENT_STORE / DATA_DIR) against the team and campaign events there. Reads only.',
  usage:
    'npm run -s audit:verify -- <export.ndjson | -> --public-key <key.pem> [--against-store] [--json] [--allow-unsigned-tail]\n' +
    '       npm run -s audit:verify -- --team <id> [--public-key <key.pem>] [--json] [--allow-unsigned-tail]',
  async run(args) {
    const options = parseArgs(args);
    const result = await verify(options);
    if (!result) {
      process.stderr.write(`team ${options.teamId} does not exist in the event store\n`);
      return 1;
    }
    const { valid, unsigned } = accepted(result, options);
    if (options.json)
      process.stdout.write(`${JSON.stringify({ ...result, valid, ...(unsigned ? { unsigned } : {}) }, null, 2)}\n`);
    else (valid ? process.stdout : process.stderr).write(`${describe(result, unsigned, valid)}\n`);
    return valid ? 0 : 1;
  },
};
