import type { PoolConfig } from 'pg';

/**
 * Pool settings read from the connection string's query, beside what pg itself reads from it (host, port, database,
 * user, password, sslmode, sslrootcert, sslcert, sslkey, ssl, application_name, options, statement_timeout, …):
 *   max              connections in the pool (default 10; the LISTEN connection of live subscriptions is extra)
 *   connect_timeout  seconds to wait for a connection (default 10), as libpq names it
 *   idle_timeout     seconds an idle pooled connection is kept (default 10)
 */
export const POOL_PARAMETERS = ['max', 'connect_timeout', 'idle_timeout'] as const;

const POSTGRES_SCHEME = /^postgres(ql)?:\/\//i;

export function isPostgresConnectionString(value: string): boolean {
  return POSTGRES_SCHEME.test(value);
}

/** pg's configuration for a postgres:// or postgresql:// URL. Errors name the parameter, never the string's text. */
export function poolConfig(connectionString: string): PoolConfig {
  if (!isPostgresConnectionString(connectionString)) {
    throw new Error('the PostgreSQL event store needs a postgres:// or postgresql:// connection string');
  }
  let query: URLSearchParams;
  try {
    query = new URL(connectionString).searchParams;
  } catch {
    throw new Error(
      'the PostgreSQL connection string is not a valid URL (special characters in the password must be percent-encoded)',
    );
  }
  return {
    connectionString,
    application_name: 'access-audit',
    max: positiveInteger(query, 'max', 10),
    connectionTimeoutMillis: positiveInteger(query, 'connect_timeout', 10) * 1000,
    idleTimeoutMillis: positiveInteger(query, 'idle_timeout', 10) * 1000,
  };
}

function positiveInteger(query: URLSearchParams, name: (typeof POOL_PARAMETERS)[number], fallback: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`the PostgreSQL connection string's ${name} must be a positive whole number`);
  }
  return value;
}
