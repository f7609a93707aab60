import { GroupCommitter, type CommittedGroup, type Settled } from './group-committer';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A synchronous "database" that records each transaction's requests; requests named `fail:*` fail alone. */
function recordingCommit(log: string[][]) {
  return (requests: readonly string[]): Array<Settled<string>> => {
    log.push([...requests]);
    return requests.map((request) =>
      request.startsWith('fail:') ? { ok: false, error: new Error(request) } : { ok: true, value: `done ${request}` },
    );
  };
}

describe('GroupCommitter', () => {
  it('commits the first request of an idle period at once, before submit returns', async () => {
    const log: string[][] = [];
    const committer = new GroupCommitter(recordingCommit(log));
    const result = committer.submit('a');
    expect(log).toEqual([['a']]);
    await expect(result).resolves.toBe('done a');
  });

  it('groups requests that arrive while a commit is in flight into the next transaction, in arrival order', async () => {
    const log: string[][] = [];
    const committer = new GroupCommitter(recordingCommit(log));
    const results = ['a', 'b', 'c', 'd'].map((request) => committer.submit(request));
    expect(log).toEqual([['a']]);
    expect(committer.waiting).toBe(3);
    expect(await Promise.all(results)).toEqual(['done a', 'done b', 'done c', 'done d']);
    expect(log).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('becomes idle again after an empty turn, so a later lone request is committed at once', async () => {
    const log: string[][] = [];
    const committer = new GroupCommitter(recordingCommit(log));
    await committer.submit('a');
    await tick();
    await committer.idle();
    void committer.submit('b');
    expect(log).toEqual([['a'], ['b']]);
  });

  it('settles each request with its own outcome: a failing one fails alone', async () => {
    const log: string[][] = [];
    const committer = new GroupCommitter(recordingCommit(log));
    const outcomes = await Promise.allSettled(['a', 'b', 'fail:c', 'd'].map((request) => committer.submit(request)));
    expect(log).toEqual([['a'], ['b', 'fail:c', 'd']]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
      'done a',
      'done b',
      'fail:c',
      'done d',
    ]);
  });

  it('rejects every request of a transaction that failed as a whole, and goes on with the next group', async () => {
    let calls = 0;
    const committer = new GroupCommitter((requests: readonly string[]) => {
      calls += 1;
      if (calls === 2) throw new Error('disk full');
      return requests.map((request) => ({ ok: true as const, value: request }));
    });
    const first = committer.submit('a');
    const group = [committer.submit('b'), committer.submit('c')];
    await expect(first).resolves.toBe('a');
    const outcomes = await Promise.allSettled(group);
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as Error).message)).toEqual([
      'disk full',
      'disk full',
    ]);
    await expect(committer.submit('d')).resolves.toBe('d');
  });

  it('rejects a lone request whose transaction failed, and commits those that arrived meanwhile next', async () => {
    for (const fail of [
      () => {
        throw new Error('disk I/O error');
      },
      () => Promise.reject(new Error('disk I/O error')),
    ]) {
      const log: string[][] = [];
      const commit = recordingCommit(log);
      let calls = 0;
      const committer = new GroupCommitter((requests: readonly string[]) =>
        ++calls === 1 ? fail() : commit(requests),
      );
      const lone = committer.submit('a');
      await Promise.resolve();
      const meanwhile = [committer.submit('b'), committer.submit('c')];
      await expect(lone).rejects.toThrow('disk I/O error');
      expect(await Promise.all(meanwhile)).toEqual(['done b', 'done c']);
      expect(log).toEqual([['b', 'c']]);
    }
  });

  it('settles no request before its transaction has committed', async () => {
    const commits: Array<() => void> = [];
    const committer = new GroupCommitter(
      (requests: readonly string[]) =>
        new Promise<Array<Settled<string>>>((resolve) =>
          commits.push(() => resolve(requests.map((value) => ({ ok: true, value })))),
        ),
    );
    const settled: string[] = [];
    const track = (request: string) => committer.submit(request).then((value) => settled.push(value));
    const all = [track('a'), track('b'), track('c')];
    await tick();
    await tick();
    expect(commits).toHaveLength(1);
    expect(settled).toEqual([]);
    commits[0]();
    await tick();
    await tick();
    expect(settled).toEqual(['a']);
    expect(commits).toHaveLength(2);
    const late = track('d');
    commits[1]();
    await tick();
    await tick();
    expect(settled).toEqual(['a', 'b', 'c']);
    commits[2]();
    await Promise.all([...all, late]);
    expect(settled).toEqual(['a', 'b', 'c', 'd']);
  });

  it('bounds a group by requests and by weight; a request heavier than the bound goes alone', async () => {
    const log: string[][] = [];
    const groups: CommittedGroup[] = [];
    const committer = new GroupCommitter(recordingCommit(log), {
      maxRequests: 3,
      maxWeight: 10,
      onGroup: (group) => groups.push(group),
    });
    const weights: Array<[string, number]> = [
      ['first', 1],
      ['a', 1],
      ['b', 1],
      ['c', 1],
      ['d', 1],
      ['e', 4],
      ['f', 6],
      ['heavy', 25],
      ['g', 1],
    ];
    await Promise.all(weights.map(([request, weight]) => committer.submit(request, weight)));
    expect(log).toEqual([['first'], ['a', 'b', 'c'], ['d', 'e'], ['f'], ['heavy'], ['g']]);
    expect(groups).toEqual([
      { requests: 1, weight: 1 },
      { requests: 3, weight: 3 },
      { requests: 2, weight: 5 },
      { requests: 1, weight: 6 },
      { requests: 1, weight: 25 },
      { requests: 1, weight: 1 },
    ]);
  });

  it('idle() waits for every waiting request to be committed', async () => {
    const log: string[][] = [];
    const committer = new GroupCommitter(recordingCommit(log), { maxRequests: 2 });
    const results = ['a', 'b', 'c', 'd', 'e'].map((request) => committer.submit(request));
    await committer.idle();
    expect(log).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    expect(committer.waiting).toBe(0);
    await Promise.all(results);
  });

  it('fails the group when the driver returns the wrong number of outcomes', async () => {
    const committer = new GroupCommitter((): Array<Settled<string>> => []);
    await expect(committer.submit('a')).rejects.toThrow(/0 outcomes for 1 requests/);
  });
});
