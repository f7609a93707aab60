import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction holding a transaction-scoped advisory lock on `key` (a bigint as decimal or 0x text):
 * instances starting together (migrations, CREATE TABLE IF NOT EXISTS, which can still collide in the catalog) take turns.
 */
export async function inTransactionUnderAdvisoryLock<T>(
  pool: Pool,
  key: string,
  work: (client: PoolClient) => Promise<T>,
  before?: (client: PoolClient) => Promise<void>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await before?.(client);
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [BigInt(key).toString()]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
