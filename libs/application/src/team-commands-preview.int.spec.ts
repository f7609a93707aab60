import fc from 'fast-check';
import {
  decide,
  evolve,
  permissionChanges,
  teamStreamId,
  type ActiveTeam,
  type TeamCommand,
  type TeamState,
} from '@access-audit/domain';
import { MemoryEventStore, StreamLocks } from '@access-audit/event-store';
import { aimed, createdTeam, step } from '../../domain/src/testing/random-team-history';
import { teamReadRefusal } from './read-authorization';
import { TeamCommands, type CommandObserver, type DenialSink, type TeamCommandInput } from './team-commands';
import { TeamSnapshots, teamSnapshotStreamId } from './team-state-cache';

let clock = Date.parse('2026-06-01T00:00:00Z');
const now = () => new Date((clock += 1_000));

/** A TeamCommands on a memory store that notes every denial record and metric it reports. */
function setup(snapshotsEvery?: number) {
  const store = new MemoryEventStore();
  const denials: unknown[] = [];
  const metrics: string[] = [];
  const denialSink: DenialSink = { record: async (command) => void denials.push(command.type) };
  const observer: CommandObserver = {
    handled: (type, outcome) => void metrics.push(`${type}:${outcome}`),
    appended: (events) => void metrics.push(`appended:${events.length}`),
  };
  const commands = new TeamCommands({
    store,
    locks: new StreamLocks(),
    now,
    denials: denialSink,
    observer,
    ...(snapshotsEvery ? { snapshots: new TeamSnapshots(store, snapshotsEvery) } : {}),
  });
  return { store, commands, denials, metrics };
}

const context = (actorId: string) => ({ actorId, correlationId: `req-${clock}` });

async function run(commands: TeamCommands, actorId: string, input: TeamCommandInput) {
  const outcome = await commands.issue(input, context(actorId));
  if (!outcome.ok) throw new Error(`${input.type} refused`);
  return outcome;
}

describe('TeamCommands.issue with dryRun (the impact preview)', () => {
  it('decides on the current state, appends nothing, records no denial or metric; the command then does just that', async () => {
    const { store, commands, denials, metrics } = setup();
    await run(commands, 'olga', { type: 'CreateTeam', teamId: 'acme', data: { name: 'Acme', plan: 'enterprise' } });
    await run(commands, 'olga', { type: 'AddMember', teamId: 'acme', data: { userId: 'bob', role: 'member' } });
    metrics.length = 0;
    const head = await store.headPosition();
    const input: TeamCommandInput = { type: 'ChangeTeamRole', teamId: 'acme', data: { userId: 'bob', role: 'owner' } };
    const preview = await commands.issue(input, { ...context('olga'), dryRun: true, reason: 'cover' });
    expect(preview).toMatchObject({ ok: true, dryRun: true, streamRevision: 1 });
    if (!preview.ok) throw new Error('refused');
    expect(preview.permissionChanges.length).toBeGreaterThan(0);
    expect(preview.permissionChanges.every((c) => c.userId === 'bob' && c.change === 'granted')).toBe(true);
    expect(await store.headPosition()).toBe(head);
    expect([denials, metrics]).toEqual([[], []]);

    const done = await run(commands, 'olga', input);
    const stored = (await store.readStream(teamStreamId('acme'))).slice(2);
    expect(stored.map(({ type, data }) => ({ type, data: { ...(data as object), occurredAt: 0, reason: 0 } }))).toEqual(
      preview.events.map(({ type, data }) => ({ type, data: { ...data, occurredAt: 0, reason: 0 } })),
    );
    expect(done.streamRevision).toBe(2);
  });

  it('a refused preview is the same refusal, with no denial record; a stale pinned revision is the same conflict', async () => {
    const { store, commands, denials } = setup();
    await run(commands, 'olga', { type: 'CreateTeam', teamId: 'acme', data: { name: 'Acme', plan: 'enterprise' } });
    const lastOwner: TeamCommandInput = {
      type: 'ChangeTeamRole',
      teamId: 'acme',
      data: { userId: 'olga', role: 'member' },
    };
    const preview = await commands.issue(lastOwner, { ...context('olga'), dryRun: true });
    const real = await commands.issue(lastOwner, context('olga'));
    expect(preview).toMatchObject({ ok: false, kind: 'refused', rejection: { rule: 'team.at-least-one-owner' } });
    expect(real).toMatchObject({ ok: false, kind: 'refused' });
    if (preview.ok || real.ok || preview.kind !== 'refused' || real.kind !== 'refused') throw new Error('accepted');
    expect(preview.rejection).toEqual(real.rejection);
    expect(denials).toEqual(['ChangeTeamRole']);
    const forbidden = await commands.issue(
      { type: 'RenameTeam', teamId: 'acme', data: { name: 'Mine' } },
      { ...context('mallory'), dryRun: true },
    );
    expect(forbidden).toMatchObject({ ok: false, kind: 'refused', rejection: { kind: 'forbidden' } });
    const stale = await commands.issue(
      { type: 'RenameTeam', teamId: 'acme', data: { name: 'B' } },
      { ...context('olga'), dryRun: true, expectedRevision: 5 },
    );
    expect(stale).toMatchObject({ ok: false, kind: 'conflict', pinned: true, error: { expected: 5, actual: 0 } });
    expect(denials).toEqual(['ChangeTeamRole']);
    expect(await store.streamRevision(teamStreamId('acme'))).toBe(0);
  });

  it('never stores a snapshot, even at a snapshot boundary', async () => {
    const { store, commands } = setup(2);
    await run(commands, 'olga', { type: 'CreateTeam', teamId: 'acme', data: { name: 'Acme', plan: 'enterprise' } });
    await commands.issue(
      { type: 'AddMember', teamId: 'acme', data: { userId: 'bob', role: 'member' } },
      { ...context('olga'), dryRun: true },
    );
    await commands.issue(
      { type: 'CreateProject', teamId: 'acme', data: { projectId: 'web', name: 'Web' } },
      { ...context('olga'), dryRun: true },
    );
    expect(await store.streamRevision(teamSnapshotStreamId(teamStreamId('acme')))).toBe(-1);
    expect(await store.headPosition()).toBe((await store.readStream(teamStreamId('acme'))).at(-1)!.position);
  });

  it('over random histories, each preview is exactly the decision and permission diff the command then makes (or 403 team.view to one who cannot read the team)', async () => {
    let previewed = 0;
    let unreadable = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 25, size: 'max' }), async (steps) => {
        const { commands } = setup();
        let state: TeamState = createdTeam('enterprise');
        await run(commands, 'u0', { type: 'CreateTeam', teamId: 't', data: { name: 'T', plan: 'enterprise' } });
        for (const [i, s] of steps.entries()) {
          const { metadata, ...input } = aimed(s, state as ActiveTeam, i);
          const preview = await commands.issue(input, { actorId: metadata.actorId, correlationId: 'c', dryRun: true });
          const expected = decide({ ...input, metadata: { ...metadata, now: '' } } as TeamCommand, state);
          if (!expected.ok) {
            expect(preview).toMatchObject({ ok: false, kind: 'refused', rejection: expected.rejection });
            continue;
          }
          const after: TeamState = expected.events.reduce(evolve, state);
          const reader = { userId: metadata.actorId, isReader: false };
          const team = { kind: 'team', teamId: 't' } as const;
          if (teamReadRefusal(state, reader, team) && teamReadRefusal(after, reader, team)) {
            expect(preview).toMatchObject({ ok: false, rejection: { kind: 'forbidden', permission: 'team.view' } });
            unreadable++;
          } else {
            if (!preview.ok) throw new Error(`preview refused what the domain accepts: ${JSON.stringify(preview)}`);
            expect(preview.events.map((e) => e.type)).toEqual(expected.events.map((e) => e.type));
            expect(preview.permissionChanges).toEqual(permissionChanges(state, after));
            previewed++;
          }
          const real = await commands.issue(input, { actorId: metadata.actorId, correlationId: 'c' });
          expect(real.ok).toBe(true);
          state = after;
        }
      }),
      { numRuns: 30, seed: 1 },
    );
    // Both branches were taken: previews shown, and previews withheld from actors who cannot read the team. The seed is
    // fixed because the second branch is rare in random histories (seed 2 misses it); a change to the generator shows here.
    expect([previewed > 0, unreadable > 0]).toEqual([true, true]);
  });
});
