import { ConfigError } from '@access-audit/config';
import { DrainAllowList, type DrainDeliveriesOptions } from '@access-audit/audit';

/** The delivery settings of the environment (README "Stream the audit log to your SIEM"); the defaults are API.md's. */
export interface DrainEnvironment {
  secretKey?: string;
  allow: DrainAllowList;
  delivery: Pick<DrainDeliveriesOptions, 'leaseMs' | 'timeoutMs' | 'pauseAfterMs' | 'backoff' | 'idlePollMs'>;
}

const positive = (env: NodeJS.ProcessEnv, name: string): number | undefined => {
  const text = env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new ConfigError(`${name} must be a positive integer (milliseconds)`);
  return value;
};

/**
 * DRAIN_SECRET_KEY (32 bytes, base64 or hex; the same on every instance), DRAIN_ALLOW_HOSTS, and for tests and
 * operators the timings: DRAIN_LEASE_MS, DRAIN_TIMEOUT_MS, DRAIN_PAUSE_AFTER_MS, DRAIN_BACKOFF_INITIAL_MS,
 * DRAIN_BACKOFF_MAX_MS, DRAIN_IDLE_POLL_MS.
 */
export function drainEnvironment(env: NodeJS.ProcessEnv = process.env): DrainEnvironment {
  const leaseMs = positive(env, 'DRAIN_LEASE_MS');
  const timeoutMs = positive(env, 'DRAIN_TIMEOUT_MS');
  const pauseAfterMs = positive(env, 'DRAIN_PAUSE_AFTER_MS');
  const idlePollMs = positive(env, 'DRAIN_IDLE_POLL_MS');
  const initialMs = positive(env, 'DRAIN_BACKOFF_INITIAL_MS') ?? 1000;
  const maxMs = positive(env, 'DRAIN_BACKOFF_MAX_MS') ?? 5 * 60 * 1000;
  if ((timeoutMs ?? 10_000) >= (leaseMs ?? 30_000)) {
    throw new ConfigError('DRAIN_LEASE_MS must be longer than DRAIN_TIMEOUT_MS: a lease must outlast a delivery');
  }
  const secretKey = env.DRAIN_SECRET_KEY?.trim() ? env.DRAIN_SECRET_KEY : undefined;
  return {
    ...(secretKey !== undefined ? { secretKey } : {}),
    allow: DrainAllowList.fromEnv(env.DRAIN_ALLOW_HOSTS),
    delivery: {
      ...(leaseMs !== undefined ? { leaseMs } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(pauseAfterMs !== undefined ? { pauseAfterMs } : {}),
      ...(idlePollMs !== undefined ? { idlePollMs } : {}),
      backoff: { initialMs, maxMs: Math.max(initialMs, maxMs) },
    },
  };
}
