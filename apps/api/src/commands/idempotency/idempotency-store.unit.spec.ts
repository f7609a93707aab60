import { MemoryEventStore } from '@access-audit/event-store';
import { MetricsService } from '../../observability/metrics.service';
import {
  abandonedAfterMs,
  canonicalJson,
  IdempotencyStore,
  idempotencyStreamId,
  requestHashOf,
  type IdempotentRequestStarted,
} from './idempotency-store';

describe('request fingerprints', () => {
  it('canonical JSON ignores key order and undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: undefined } })).toBe(
      canonicalJson({ a: { d: [1, { e: 3, f: 2 }] }, b: 1 }),
    );
  });

  it('the request hash changes with method, path or body', () => {
    const hash = requestHashOf('POST', '/v1/teams/a/members', { userId: 'bob' });
    expect(requestHashOf('post', '/v1/teams/a/members', { userId: 'bob' })).toBe(hash);
    expect(requestHashOf('PUT', '/v1/teams/a/members', { userId: 'bob' })).not.toBe(hash);
    expect(requestHashOf('POST', '/v1/teams/b/members', { userId: 'bob' })).not.toBe(hash);
    expect(requestHashOf('POST', '/v1/teams/a/members', { userId: 'bo' })).not.toBe(hash);
  });

  it('streams are per actor and key, and never contain the key itself', () => {
    const stream = idempotencyStreamId('alice', 'my-key');
    expect(stream).toMatch(/^idempotency-[0-9a-f]{64}$/);
    expect(idempotencyStreamId('bob', 'my-key')).not.toBe(stream);
    // User ids and keys may both contain ':': one user's key never lands in another user's stream.
    expect(idempotencyStreamId('alice:ops', 'k')).not.toBe(idempotencyStreamId('alice', 'ops:k'));
  });
});

describe('IdempotencyStore', () => {
  const request = (body: object): IdempotentRequestStarted => ({
    method: 'POST',
    path: '/v1/teams/a/members',
    requestHash: requestHashOf('POST', '/v1/teams/a/members', body),
  });
  let store: MemoryEventStore;
  let keys: IdempotencyStore;

  beforeEach(() => {
    store = new MemoryEventStore();
    keys = new IdempotencyStore(store, new MetricsService());
  });
  afterEach(() => store.close());

  it('claims a new key, then replays the recorded answer', async () => {
    const claim = await keys.claim('alice', 'k', request({ userId: 'bob' }), {});
    expect(claim).toMatchObject({ kind: 'claimed', revision: 0 });
    if (claim.kind !== 'claimed') return;
    await keys.complete(claim, { status: 201, body: { streamRevision: 3 } }, {});
    await expect(keys.claim('alice', 'k', request({ userId: 'bob' }), {})).resolves.toEqual({
      kind: 'replay',
      response: { status: 201, body: { streamRevision: 3 } },
    });
    expect(await store.streamRevision(idempotencyStreamId('alice', 'k'))).toBe(1);
  });

  it('another request with the same key is a mismatch, before and after completion', async () => {
    const claim = await keys.claim('alice', 'k', request({ userId: 'bob' }), {});
    await expect(keys.claim('alice', 'k', request({ userId: 'eve' }), {})).resolves.toEqual({ kind: 'mismatch' });
    if (claim.kind === 'claimed') await keys.complete(claim, { status: 201, body: {} }, {});
    await expect(keys.claim('alice', 'k', request({ userId: 'eve' }), {})).resolves.toEqual({ kind: 'mismatch' });
  });

  it('a duplicate while the first runs is in progress; after the abandon delay it may run again', async () => {
    await keys.claim('alice', 'k', request({ userId: 'bob' }), {});
    await expect(keys.claim('alice', 'k', request({ userId: 'bob' }), {})).resolves.toEqual({ kind: 'in_progress' });
    const later = new Date(Date.now() + abandonedAfterMs + 1000);
    await expect(keys.claim('alice', 'k', request({ userId: 'bob' }), {}, later)).resolves.toMatchObject({
      kind: 'claimed',
      revision: 1,
    });
  });

  it('after a server-side failure the same request may run again', async () => {
    const claim = await keys.claim('alice', 'k', request({ userId: 'bob' }), {});
    if (claim.kind === 'claimed') await keys.fail(claim, 500, {});
    await expect(keys.claim('alice', 'k', request({ userId: 'bob' }), {})).resolves.toMatchObject({
      kind: 'claimed',
      revision: 2,
    });
  });

  it('of two concurrent first uses, exactly one claims the key', async () => {
    const claims = await Promise.all([1, 2, 3].map(() => keys.claim('alice', 'k', request({ userId: 'bob' }), {})));
    expect(claims.map((c) => c.kind).sort()).toEqual(['claimed', 'in_progress', 'in_progress']);
  });
});
