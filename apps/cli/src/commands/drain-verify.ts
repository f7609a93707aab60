import { createReadStream, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { readPublicKey, verifyStoredDeliveries, type DeliveriesVerification } from '@access-audit/audit';
import { parseCliArgs, UsageError, type CliCommand } from '../cli-command';

interface DrainVerifyArgs {
  input: string;
  secret: string;
  publicKeyPath: string;
  toleranceSeconds: number;
  drainId?: string;
  json: boolean;
}

/** The secret from a file or DRAIN_SECRET, never from an argument (other users of the machine can read those). */
function secretOf(secretFile: string | undefined): string {
  if (secretFile !== undefined) {
    try {
      return readFileSync(resolve(secretFile), 'utf8').trim();
    } catch (error) {
      throw new UsageError(
        `cannot read the secret file ${secretFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  const fromEnv = process.env.DRAIN_SECRET?.trim();
  if (!fromEnv) throw new UsageError('give the drain secret with --secret-file <file> or DRAIN_SECRET');
  return fromEnv;
}

function parseArgs(args: string[]): DrainVerifyArgs {
  const { values, positionals } = parseCliArgs(
    args,
    {
      'secret-file': { type: 'string' },
      'public-key': { type: 'string' },
      tolerance: { type: 'string', default: '300' },
      drain: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    true,
  );
  if (positionals.length !== 1) throw new UsageError('give one file of stored deliveries (- for standard input)');
  if (values['public-key'] === undefined) {
    throw new UsageError('--public-key <file> is required (GET /v1/audit/public-key)');
  }
  const toleranceSeconds = Number(values.tolerance);
  if (!Number.isInteger(toleranceSeconds) || toleranceSeconds < 0) {
    throw new UsageError('--tolerance must be a whole number of seconds');
  }
  return {
    input: positionals[0]!,
    secret: secretOf(values['secret-file']),
    publicKeyPath: values['public-key'],
    toleranceSeconds,
    ...(values.drain !== undefined ? { drainId: values.drain } : {}),
    json: values.json,
  };
}

function describe(result: DeliveriesVerification): string {
  const lines: string[] = [];
  const { chain } = result;
  const summary = `${result.deliveries} deliveries, ${result.records} records (${result.duplicates} exact repeats), entries 1..${chain.entries} of team ${chain.teamId ?? '?'}, head ${chain.head ?? '(empty)'}, signed through entry ${chain.signedThrough}`;
  lines.push(result.valid ? `valid: ${summary}` : `INVALID: ${summary}`);
  for (const problem of result.signatureProblems) lines.push(`  line ${problem.line}: ${problem.reason}`);
  for (const problem of result.conflicts) lines.push(`  line ${problem.line}: ${problem.reason}`);
  if (chain.break) {
    const at = chain.break.line !== undefined ? ` (line ${chain.break.line})` : '';
    lines.push(`  the chain breaks at entry ${chain.break.sequence}${at}: ${chain.break.reason}`);
  }
  return lines.join('\n');
}

export const command: CliCommand = {
  summary:
    "Verifies what a drain's receiver stored (one JSON line per delivery: receivedAt, signature, body): each signature and its replay window, repeats byte for byte, and the hash chain and checkpoints of every entry from 1 on. Reads only.",
  usage:
    'npm run -s drain:verify -- <deliveries.ndjson | -> --public-key <key.pem> [--secret-file <file>] [--tolerance <seconds>] [--drain <id>] [--json]\n' +
    '       (the secret from --secret-file or DRAIN_SECRET)',
  async run(args) {
    const options = parseArgs(args);
    let publicKey;
    try {
      publicKey = readPublicKey(readFileSync(resolve(options.publicKeyPath), 'utf8'));
    } catch (error) {
      throw new UsageError(`cannot read the public key ${options.publicKeyPath}: ${(error as Error).message}`);
    }
    const input: Readable = options.input === '-' ? process.stdin : createReadStream(resolve(options.input));
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let result: DeliveriesVerification;
    try {
      result = await verifyStoredDeliveries(lines, {
        secret: options.secret,
        publicKey,
        toleranceSeconds: options.toleranceSeconds,
        ...(options.drainId !== undefined ? { drainId: options.drainId } : {}),
      });
    } finally {
      lines.close();
    }
    if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else (result.valid ? process.stdout : process.stderr).write(`${describe(result)}\n`);
    return result.valid ? 0 : 1;
  },
};
