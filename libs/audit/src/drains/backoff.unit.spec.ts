import { backoffDelay } from './deliveries';

describe('drain retry backoff', () => {
  const backoff = { initialMs: 1000, maxMs: 5 * 60 * 1000 };

  it('doubles from the initial wait up to the cap', () => {
    const ceilings = [1, 2, 3, 4, 5, 9, 10, 40].map((attempts) => backoffDelay(attempts, backoff, () => 1));
    expect(ceilings).toEqual([1000, 2000, 4000, 8000, 16000, 256000, 300000, 300000]);
  });

  it('draws each wait between half and all of its ceiling (jitter), so failing drains do not retry in step', () => {
    expect(backoffDelay(3, backoff, () => 0)).toBe(2000);
    expect(backoffDelay(3, backoff, () => 0.5)).toBe(3000);
    const draws = Array.from({ length: 200 }, () => backoffDelay(4, backoff));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(4000);
    expect(Math.max(...draws)).toBeLessThanOrEqual(8000);
    expect(new Set(draws).size).toBeGreaterThan(50);
  });
});
