import { StreamLocks } from './stream-locks';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('StreamLocks', () => {
  it('runs work under one key one at a time, in arrival order', async () => {
    const locks = new StreamLocks();
    const log: string[] = [];
    const job = (name: string) => async () => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([locks.run('s', job('a')), locks.run('s', job('b')), locks.run('s', job('c'))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(locks.activeKeys).toBe(0);
  });

  it('lets different keys run at the same time', async () => {
    const locks = new StreamLocks();
    const log: string[] = [];
    const job = (name: string) => async () => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
    };
    await Promise.all([locks.run('s1', job('a')), locks.run('s2', job('b'))]);
    expect(log.slice(0, 2)).toEqual(['start a', 'start b']);
  });

  it('releases the key when the work fails', async () => {
    const locks = new StreamLocks();
    await expect(locks.run('s', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(locks.run('s', async () => 'next')).resolves.toBe('next');
    expect(locks.activeKeys).toBe(0);
  });
});
