import { DenialRateLimiter } from './denial-rate-limit';

describe('DenialRateLimiter', () => {
  const t0 = Date.parse('2026-03-01T10:00:00.000Z');

  it('records a burst of 10 per actor per team, then counts the rest into the next recorded denial', () => {
    const limiter = new DenialRateLimiter({ burst: 10, perMinute: 10 });
    const admitted = Array.from({ length: 25 }, () => limiter.admit('t', 'mallory', t0)).filter((a) => a.record);
    expect(admitted).toHaveLength(10);
    expect(limiter.admit('t', 'mallory', t0 + 5_999)).toEqual({ record: false });
    expect(limiter.admit('t', 'mallory', t0 + 6_000)).toEqual({ record: true, suppressedBefore: 16 });
    expect(limiter.admit('t', 'mallory', t0 + 6_000)).toEqual({ record: false });
  });

  it('keeps separate buckets per actor and per team', () => {
    const limiter = new DenialRateLimiter({ burst: 1, perMinute: 1 });
    expect(limiter.admit('t', 'a', t0).record).toBe(true);
    expect(limiter.admit('t', 'a', t0).record).toBe(false);
    expect(limiter.admit('t', 'b', t0).record).toBe(true);
    expect(limiter.admit('u', 'a', t0).record).toBe(true);
  });

  it('takes a token for each denial recorded elsewhere, refilling by its time, never below empty', () => {
    const limiter = new DenialRateLimiter({ burst: 2, perMinute: 1 });
    limiter.take('t', 'a', t0);
    limiter.take('t', 'a', t0);
    limiter.take('t', 'a', t0);
    expect(limiter.admit('t', 'a', t0).record).toBe(false);
    expect(limiter.admit('t', 'a', t0 + 60_000)).toEqual({ record: true, suppressedBefore: 1 });
    expect(limiter.refillMs).toBe(120_000);
  });

  it('gives a token back when the denial could not be stored', () => {
    const limiter = new DenialRateLimiter({ burst: 1, perMinute: 1 });
    limiter.admit('t', 'a', t0);
    limiter.admit('t', 'a', t0);
    const admission = limiter.admit('t', 'a', t0 + 60_000);
    expect(admission).toEqual({ record: true, suppressedBefore: 1 });
    limiter.restore('t', 'a', 1);
    expect(limiter.admit('t', 'a', t0 + 60_000)).toEqual({ record: true, suppressedBefore: 1 });
  });
});
