import { createReadStream, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { readPublicKey, verifyNdjson, type ChainVerification } from '@access-audit/audit';
import { parseCliArgs, UsageError, type CliCommand } from '../cli-command';

interface VerifyArgs {
  exportPath: string;
  publicKeyPath: string;
  json: boolean;
  allowUnsignedTail: boolean;
}

function parseArgs(args: string[]): VerifyArgs {
  const { values, positionals } = parseCliArgs(
    args,
    {
      'public-key': { type: 'string' },
      json: { type: 'boolean', default: false },
      'allow-unsigned-tail': { type: 'boolean', default: false },
    },
    true,
  );
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
  const [exportPath] = positionals;
  const publicKeyPath = values['public-key'];
  const { json, 'allow-unsigned-tail': allowUnsignedTail } = values;
  if (exportPath === undefined) throw new UsageError('the export file is missing (use - for standard input)');
  if (publicKeyPath === undefined) throw new UsageError('--public-key <file> is required (GET /v1/audit/public-key)');
  return { exportPath, publicKeyPath, json, allowUnsignedTail };
}

/** Why an export that verified as a chain is still not accepted: entries no signature vouches for. */
function unsignedTail(result: ChainVerification): string | undefined {
  if (result.signedThrough >= result.entries) return undefined;
  return result.signedThrough === 0
    ? `no signed checkpoint vouches for the ${result.entries} entries`
    : `entries ${result.signedThrough + 1}..${result.entries} are not covered by a signed checkpoint`;
}

function describe(result: ChainVerification, unsigned: string | undefined): string {
  if (result.break) {
    const where = [
      result.break.line !== undefined ? `line ${result.break.line}` : undefined,
      result.break.entryId ? `entry id ${result.break.entryId}` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    return `INVALID: the chain of team ${result.teamId ?? '?'} breaks at entry ${result.break.sequence}${where ? ` (${where})` : ''}: ${result.break.reason}`;
  }
  const summary = `${result.entries} entries of team ${result.teamId ?? '?'}, head ${result.head ?? '(empty)'}, signed through entry ${result.signedThrough} (${result.checkpoints} checkpoint(s))`;
  return unsigned ? `INVALID: ${unsigned}; the chain itself is intact: ${summary}` : `valid: ${summary}`;
}

export const command: CliCommand = {
  summary: 'Verifies an NDJSON audit export offline: recomputes the hash chain and checks every checkpoint signature.',
  usage: 'npm run -s audit:verify -- <export.ndjson | -> --public-key <key.pem> [--json] [--allow-unsigned-tail]',
  async run(args) {
    const options = parseArgs(args);
    let publicKey;
    try {
      publicKey = readPublicKey(readFileSync(resolve(options.publicKeyPath), 'utf8'));
    } catch (error) {
      throw new UsageError(`cannot read the public key ${options.publicKeyPath}: ${(error as Error).message}`);
    }
    const input: Readable = options.exportPath === '-' ? process.stdin : createReadStream(resolve(options.exportPath));
    const result = await verifyNdjson(input, publicKey);
    const unsigned = options.allowUnsignedTail ? undefined : unsignedTail(result);
    const valid = result.valid && unsigned === undefined;
    if (options.json)
      process.stdout.write(`${JSON.stringify({ ...result, valid, ...(unsigned ? { unsigned } : {}) }, null, 2)}\n`);
    else (valid ? process.stdout : process.stderr).write(`${describe(result, unsigned)}\n`);
    return valid ? 0 : 1;
  },
};
