import fc from 'fast-check';
import {
  decide,
  decodeTeamState,
  encodeTeamState,
  evolve,
  initialTeamState,
  teamStreamId,
  type ActiveTeam,
  type TeamState,
} from '@access-audit/domain';
import { MemoryEventStore, StreamLocks, type EventStore, type ReadStreamOptions } from '@access-audit/event-store';
import { aimed, createdTeam, step } from '../../domain/src/testing/random-team-history';
import { stateText } from '@access-audit/domain/testing';
import { TeamCommands, type TeamCommandInput } from './team-commands';
import { TeamSnapshots, TeamStateCache, teamSnapshotStreamId } from './team-state-cache';

/** Counts the team-stream events each command reads back. */
function counting(store: EventStore): { store: EventStore; read: () => number; reset: () => void } {
  let read = 0;
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      if (name === 'readStream') {
        return async (streamId: string, options?: ReadStreamOptions) => {
          const events = await target.readStream(streamId, options);
          if (streamId.startsWith('team-')) read += events.length;
          return events;
        };
      }
      const value = Reflect.get(target, name, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, read: () => read, reset: () => (read = 0) };
}

let clock = Date.parse('2026-06-01T00:00:00Z');
const instance = (store: EventStore, extra: Partial<ConstructorParameters<typeof TeamCommands>[0]> = {}) =>
  new TeamCommands({ store, locks: new StreamLocks(), now: () => new Date((clock += 1_000)), ...extra });
const context = (actorId: string) => ({ actorId, correlationId: `req-${clock}` });
const run = async (commands: TeamCommands, actorId: string, input: TeamCommandInput) => {
  const outcome = await commands.issue(input, context(actorId));
  if (!outcome.ok) throw new Error(`${input.type} refused: ${JSON.stringify(outcome)}`);
  return outcome;
};

describe('TeamCommands: flat command cost (folded states cached, snapshots for cold starts)', () => {
  it('a command reads only the events after the cached state, however long the history', async () => {
    const memory = new MemoryEventStore();
    const { store, read, reset } = counting(memory);
    const commands = instance(store);
    await run(commands, 'olga', { type: 'CreateTeam', teamId: 'acme', data: { name: 'Acme', plan: 'enterprise' } });
    await run(commands, 'olga', { type: 'AddMember', teamId: 'acme', data: { userId: 'bob', role: 'member' } });
    for (let i = 0; i < 1_000; i++) {
      const role = i % 2 === 0 ? 'developer' : 'member';
      await run(commands, 'olga', { type: 'ChangeTeamRole', teamId: 'acme', data: { userId: 'bob', role } });
    }
    reset();
    await run(commands, 'olga', { type: 'ChangeTeamRole', teamId: 'acme', data: { userId: 'bob', role: 'security' } });
    expect(read()).toBe(0);
  });

  it('another instance’s appends are caught up from the cached revision; the expected revision stays the guard', async () => {
    const memory = new MemoryEventStore();
    const a = instance(memory);
    const b = instance(memory);
    await run(a, 'olga', { type: 'CreateTeam', teamId: 'acme', data: { name: 'Acme', plan: 'enterprise' } });
    await run(a, 'olga', { type: 'AddMember', teamId: 'acme', data: { userId: 'bob', role: 'member' } });
    await run(b, 'olga', { type: 'RemoveMember', teamId: 'acme', data: { userId: 'bob' } });
    // a's cached state still has bob; it must see b's removal before deciding.
    const again = await a.issue({ type: 'RemoveMember', teamId: 'acme', data: { userId: 'bob' } }, context('olga'));
    expect(again).toMatchObject({ ok: false, kind: 'refused', rejection: { rule: 'member.in-team' } });
    const added = await run(a, 'olga', {
      type: 'AddMember',
      teamId: 'acme',
      data: { userId: 'bob', role: 'developer' },
    });
    expect(added.streamRevision).toBe(3);
  });

  it('a cold instance starts from the newest snapshot and reads only the events after it', async () => {
    const memory = new MemoryEventStore();
    const writer = instance(memory, { snapshots: new TeamSnapshots(memory, 100) });
    await run(writer, 'olga', { type: 'CreateTeam', teamId: 'acme', data: { name: 'Acme', plan: 'enterprise' } });
    await run(writer, 'olga', { type: 'AddMember', teamId: 'acme', data: { userId: 'bob', role: 'member' } });
    for (let i = 0; i < 248; i++) {
      const role = i % 2 === 0 ? 'developer' : 'member';
      await run(writer, 'olga', { type: 'ChangeTeamRole', teamId: 'acme', data: { userId: 'bob', role } });
    }
    expect(await memory.streamRevision(teamSnapshotStreamId(teamStreamId('acme')))).toBe(1); // at revisions 100 and 200
    const { store, read } = counting(memory);
    const cold = instance(store, { snapshots: new TeamSnapshots(store, 100) });
    const outcome = await run(cold, 'olga', { type: 'RemoveMember', teamId: 'acme', data: { userId: 'bob' } });
    expect(outcome.streamRevision).toBe(250);
    expect(read()).toBe(49);
  });

  it('a snapshot of another decider or policy version is ignored: the stream is folded from its start', async () => {
    const memory = new MemoryEventStore();
    const writer = instance(memory, { snapshots: new TeamSnapshots(memory, 2, 'an-older-policy/state-0') });
    await run(writer, 'olga', { type: 'CreateTeam', teamId: 'acme', data: { name: 'Acme', plan: 'enterprise' } });
    await run(writer, 'olga', { type: 'AddMember', teamId: 'acme', data: { userId: 'bob', role: 'member' } });
    await run(writer, 'olga', { type: 'AddMember', teamId: 'acme', data: { userId: 'cleo', role: 'member' } });
    expect(await new TeamSnapshots(memory, 2).load(teamStreamId('acme'))).toBeUndefined();
    const { store, read } = counting(memory);
    await run(instance(store, { snapshots: new TeamSnapshots(store, 2) }), 'olga', {
      type: 'RemoveMember',
      teamId: 'acme',
      data: { userId: 'cleo' },
    });
    expect(read()).toBe(3);
  });

  it('the cache forgets the least recently used team beyond its capacity', () => {
    const cache = new TeamStateCache(2);
    const loaded = { state: initialTeamState(), revision: 0, position: '1' };
    cache.set('team-a', loaded);
    cache.set('team-b', loaded);
    cache.get('team-a');
    cache.set('team-c', loaded);
    expect([cache.get('team-a'), cache.get('team-b'), cache.get('team-c')].map(Boolean)).toEqual([true, false, true]);
  });

  it('a snapshot never changes a decision: from any snapshot of a random history, every next command decides the same', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 5, maxLength: 60, size: 'max' }), fc.nat(), (steps, cutAt) => {
        let state: TeamState = createdTeam('enterprise');
        const cut = cutAt % steps.length;
        let restored: TeamState | undefined;
        steps.forEach((s, i) => {
          if (i === cut) restored = decodeTeamState(JSON.parse(JSON.stringify(encodeTeamState(state))));
          const command = aimed(s, state as ActiveTeam, i);
          const decision = decide(command, state);
          if (restored) {
            const fromSnapshot = decide(command, restored);
            expect(JSON.stringify(fromSnapshot)).toBe(JSON.stringify(decision));
            if (fromSnapshot.ok) restored = fromSnapshot.events.reduce(evolve, restored);
          }
          if (decision.ok) state = decision.events.reduce(evolve, state);
          if (restored) expect(stateText(restored)).toBe(stateText(state));
        });
      }),
      { numRuns: 200 },
    );
  });
});
