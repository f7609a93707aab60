import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApi, type TestApi } from './support/test-api';

/** An idempotent request's record (kept in the event store to replay its answer) holds no personal value in clear. */
describe('Idempotency-Key records and personal data (e2e)', () => {
  let api: TestApi;
  const bobAgent = 'BobTablet/3.2 (bob-idempotent-device)';
  const rawFiles = (): string =>
    readdirSync(api.config.dataDir)
      .filter((name) => !name.endsWith('-key') && !name.includes('secret'))
      .map((name) => readFileSync(join(api.config.dataDir, name)).toString('latin1'))
      .join('\n');

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    await api.close();
  });

  it("stores neither the requester's user agent nor IP in clear, before or after erasing them", async () => {
    const alice = await api.as('alice');
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'owner' }).expect(201);
    const bob = await api.token('bob');
    const send = () =>
      api
        .http()
        .post('/v1/teams/acme/members')
        .set('Authorization', `Bearer ${bob}`)
        .set('User-Agent', bobAgent)
        .set('Idempotency-Key', 'add-carol-1')
        .send({ userId: 'carol', role: 'developer', reason: 'carol joins' });
    await send().expect(201);
    const replayed = await send().expect(201);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    const idempotencyEvents = [];
    for await (const event of api.store.readAll({ streamPrefixes: ['idempotency-'] })) idempotencyEvents.push(event);
    expect(idempotencyEvents.length).toBeGreaterThan(0);
    expect(JSON.stringify(idempotencyEvents)).not.toContain(bobAgent);
    expect(JSON.stringify(idempotencyEvents)).not.toContain('127.0.0.1');
    const operator = await api.as('privacy-operator', { scopes: ['privacy:erase'] });
    await operator.post('/v1/subjects/bob/erasure', { reason: 'ticket 9' }).expect(200);
    expect(rawFiles()).not.toContain(bobAgent);
  });
});
