import { Logger } from '@nestjs/common';
import { ConfigError, loadApiConfig } from '@access-audit/config';
import { createApiApp } from './create-app';

async function main(): Promise<void> {
  const config = loadApiConfig();
  const app = await createApiApp(config);
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const logger = new Logger('access-audit');
  logger.log(`API listening on ${url} (event store: ${describeStore(config.eventStore)})`);
  logger.log(`Reviewer console: ${url}/ (sign in with an access token)`);
  logger.log(`OpenAPI docs: ${url}/docs`);
  logger.log(
    config.auth.kind === 'hs256'
      ? 'Mint a token: TOKEN=$(npm run -s token -- alice)   (then: curl -H "Authorization: Bearer $TOKEN" ...)'
      : `Tokens are verified against ${config.auth.jwksUrl}`,
  );
}

/** The store's kind and, for files, the path; never a connection string's credentials. */
function describeStore(connectionString: string): string {
  if (connectionString.startsWith('sqlite:')) return connectionString;
  if (connectionString === 'memory:') return 'memory (nothing is kept after exit)';
  return connectionString.split('://')[0] ?? 'external';
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError
      ? `configuration: ${error.message}`
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  new Logger('access-audit').error(`could not start: ${message}`);
  process.exit(1);
});
