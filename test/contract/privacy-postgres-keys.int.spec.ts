import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { erasedText, MasterKeys, SubjectKeys } from '@access-audit/privacy';
import { poolConfig } from '@access-audit/event-store/postgres';
import { PostgresSubjectKeyStorage } from '../../libs/privacy/src/postgres-key-storage';
import { createThrowawayDatabase, postgresTestServer, type ThrowawayDatabase } from './fixtures/postgres-database';

const server = postgresTestServer();
const describeOnPostgres = server.skipReason === undefined ? describe : describe.skip;

/** The subject keys of a PostgreSQL deployment: a table every instance shares, wrapped keys only, rows gone on erasure. */
describeOnPostgres('subject keys on PostgreSQL', () => {
  let database: ThrowawayDatabase;
  beforeAll(async () => {
    database = await createThrowawayDatabase(server.url!, 'privacy_keys');
  });
  afterAll(() => database?.drop());

  it('two instances share keys; an erasure on one leaves nothing to open on either, and no row', async () => {
    const master = new MasterKeys(randomBytes(32));
    const [a, b] = [0, 1].map(
      () => new SubjectKeys(new PostgresSubjectKeyStorage(poolConfig(database.url)), master, { cacheTtlMs: 0 }),
    );
    const sealed = await a!.seal('alice on call, ext. 4471', ['alice', 'bob']);
    expect(await b!.open(sealed)).toBe('alice on call, ext. 4471');
    expect(await b!.erase('bob')).toBe(1);
    expect(await a!.open(sealed)).toBe(erasedText);
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const rows = (
        await client.query<{ subject: string; wrapped: string }>('SELECT subject, wrapped FROM privacy_subject_keys')
      ).rows;
      expect(rows.map((row) => row.subject)).toEqual(['alice']);
    } finally {
      await client.end();
    }
    await Promise.all([a!.close(), b!.close()]);
  });

  it('sixteen instances starting together on a database without the table all come up (the table is created once)', async () => {
    const fresh = await createThrowawayDatabase(server.url!, 'privacy_keys_race');
    try {
      const storages = Array.from({ length: 16 }, () => new PostgresSubjectKeyStorage(poolConfig(fresh.url)));
      const answers = await Promise.allSettled(storages.map((storage) => storage.allKeys()));
      expect(answers.map((answer) => answer.status)).toEqual(Array(16).fill('fulfilled'));
      await Promise.all(storages.map((storage) => storage.close()));
    } finally {
      await fresh.drop();
    }
  });
});
