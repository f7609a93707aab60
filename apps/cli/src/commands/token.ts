import { SignJWT } from 'jose';
import { ConfigError, loadApiConfig, loadOrCreateJwtSecret, idPattern } from '@access-audit/config';
import { parseCliArgs, UsageError, type CliCommand } from '../cli-command';

export interface MintTokenOptions {
  secret: string;
  userId: string;
  scopes?: readonly string[];
  /** Lifetime such as `30m`, `1h`, `7d`. Default 1h. */
  ttl?: string;
  issuer?: string;
  audience?: string;
}

const ttlPattern = /^[1-9]\d{0,5}(s|m|h|d)$/;

/** Signs an HS256 bearer JWT the API accepts (the API verifies with the same secret). */
export async function mintToken(options: MintTokenOptions): Promise<string> {
  const jwt = new SignJWT(options.scopes?.length ? { scope: options.scopes.join(' ') } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.userId)
    .setIssuedAt()
    .setExpirationTime(options.ttl ?? '1h');
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}

interface TokenArgs {
  userId: string;
  scopes: string[];
  ttl: string;
}

function parseArgs(args: string[]): TokenArgs {
  const { values, positionals } = parseCliArgs(
    args,
    { scope: { type: 'string', multiple: true }, ttl: { type: 'string', default: '1h' } },
    true,
  );
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
  const [userId] = positionals;
  const scopes = (values.scope ?? []).flatMap((scope) => scope.split(' ').filter(Boolean));
  const ttl = values.ttl;
  if (userId === undefined) throw new UsageError('the user id is missing');
  if (!idPattern.test(userId))
    throw new UsageError('the user id must be 1-128 letters, digits and . _ : @ | - (starting with a letter or digit)');
  if (!ttlPattern.test(ttl)) throw new UsageError('--ttl must look like 30m, 1h or 7d');
  return { userId, scopes, ttl };
}

export const command: CliCommand = {
  summary:
    "Prints a bearer JWT for a user, signed with the API's local secret (AUTH_JWT_SECRET or $DATA_DIR/jwt-secret).",
  usage: 'npm run -s token -- <userId> [--scope access:read] [--ttl 1h]',
  async run(args) {
    const { userId, scopes, ttl } = parseArgs(args);
    let config;
    try {
      config = loadApiConfig();
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(`configuration: ${error.message}`);
      throw error;
    }
    if (config.auth.kind === 'jwks') {
      process.stderr.write(
        'an identity provider is configured (AUTH_JWKS_URL or AUTH_OIDC_ISSUER): tokens come from it, not from this command\n',
      );
      return 1;
    }
    const secret = config.auth.secret ?? loadOrCreateJwtSecret(config.dataDir);
    const token = await mintToken({
      secret,
      userId,
      scopes,
      ttl,
      ...(config.auth.issuer !== undefined ? { issuer: config.auth.issuer } : {}),
      ...(config.auth.audience !== undefined ? { audience: config.auth.audience } : {}),
    });
    process.stdout.write(`${token}\n`);
    return 0;
  },
};
