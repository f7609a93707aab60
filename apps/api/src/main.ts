import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { ConfigError, idPattern, loadApiConfig, type ApiConfig } from '@access-audit/config';
import { MasterKeyMismatchError, openSubjectKeys } from '@access-audit/privacy';
import { signInLinkTtlMs, SignInLinks } from './console/sign-in-links';
import { createApiApp } from './create-app';
import { subjectKeysOptionsOf } from './privacy/privacy.module';

/** `npm start -- --sign-in alice`: the user a one-time sign-in link is printed for, once the API listens. */
function signInUserOf(argv: string[], config: ApiConfig): string | undefined {
  let userId: string | undefined;
  try {
    userId = parseArgs({ args: argv, options: { 'sign-in': { type: 'string' } }, strict: true }).values['sign-in'];
  } catch (error) {
    throw new ConfigError(`${(error as Error).message} (usage: npm start [-- --sign-in <userId>])`);
  }
  if (userId === undefined) return undefined;
  if (!idPattern.test(userId))
    throw new ConfigError(
      '--sign-in needs a user id: 1-128 letters, digits and . _ : @ | - (starting with a letter or digit)',
    );
  if (config.auth.kind === 'jwks')
    throw new ConfigError('--sign-in is for the embedded default: with an identity provider, users sign in through it');
  return userId;
}

async function main(): Promise<void> {
  const config = loadApiConfig();
  const signInUser = signInUserOf(process.argv.slice(2), config);
  // Checked before the app is made: a master key that opens none of the stored keys is said as configuration.
  await (await openSubjectKeys(subjectKeysOptionsOf(config))).close();
  const app = await createApiApp(config);
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const logger = new Logger('access-audit');
  logger.log(`API listening on ${url} (event store: ${describeStore(config.eventStore)})`);
  const signIn = config.auth.oidc
    ? 'with your identity provider or with an access token'
    : signInUser !== undefined
      ? 'with the one-time link below, or with an access token'
      : 'with an access token, or start with `npm start -- --sign-in <user>` for a one-time link';
  logger.log(`Reviewer console: ${url}/ (sign in ${signIn})`);
  logger.log(`OpenAPI docs: ${url}/docs`);
  logger.log(
    config.auth.kind === 'hs256'
      ? 'Mint a token: TOKEN=$(npm run -s token -- alice)   (then: curl -H "Authorization: Bearer $TOKEN" ...)'
      : `Tokens are verified against ${config.auth.jwksUrl ?? `the keys of ${config.auth.oidc?.issuer ?? 'the identity provider'}`}`,
  );
  if (signInUser !== undefined) {
    const code = app.get(SignInLinks).issue(signInUser);
    // The one place the code is shown: in the fragment, which browsers never send, so no access log records it.
    process.stdout.write(
      `Sign in as ${signInUser} (once, within ${signInLinkTtlMs / 60_000} minutes): ${url}/sign-in#code=${code}\n`,
    );
  }
}

/** The store's kind and, for files, the path; never a connection string's credentials. */
function describeStore(connectionString: string): string {
  if (connectionString.startsWith('sqlite:')) return connectionString;
  if (connectionString === 'memory:') return 'memory (nothing is kept after exit)';
  return connectionString.split('://')[0] ?? 'external';
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError || error instanceof MasterKeyMismatchError
      ? `configuration: ${error.message}`
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  new Logger('access-audit').error(`could not start: ${message}`);
  process.exit(1);
});
