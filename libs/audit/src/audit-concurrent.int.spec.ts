/**
 * Many teams' entries are recorded at the same time (issue #12): one team whose appends are slow or failing holds up
 * neither the others nor its own order, and the recorded-through position (resume, X-Position) never passes its event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { teamStreamId } from '@access-audit/domain';
import {
  MemoryEventStore,
  type AppendResult,
  type EventToAppend,
  type ExpectedRevision,
} from '@access-audit/event-store';
import { AuditIndex } from './audit-index';
import { AuditLog } from './audit-log';
import { auditEventTypes, auditStreamId, type AuditEntry } from './entry';
import { CheckpointSigner } from './signing';
import { at, mustRun } from './testing/audit-fixtures';

const signer = CheckpointSigner.generate();

/** A memory store whose appends to one audit stream wait for `release()` (or fail while `failing`). */
class HeldAuditStore extends MemoryEventStore {
  heldStream: string | undefined;
  failing = false;
  attempts = 0;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  hold(streamId: string): void {
    this.heldStream = streamId;
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.heldStream = undefined;
    this.#open?.();
  }

  override async append(streamId: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    if (streamId === this.heldStream) {
      this.attempts += 1;
      if (this.failing) throw new Error('disk I/O error');
      await this.#gate;
    }
    return super.append(streamId, events, expected);
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('audit entries of many teams recorded concurrently', () => {
  const teams = Array.from({ length: 16 }, (_, i) => `team-${i}`);
  let dir: string;
  let store: HeldAuditStore;
  let audit: AuditLog;
  const open = () =>
    new AuditLog({ store, signer, indexPath: join(dir, 'audit-index.db'), retryDelayMs: 10, onError: () => undefined });
  const entriesOf = async (teamId: string): Promise<AuditEntry[]> =>
    (await store.readStream(auditStreamId(teamId)))
      .filter((event) => event.type === auditEventTypes.entryRecorded)
      .map((event) => event.data as AuditEntry);
  /** Every team gets `rounds` role flips, the teams' events interleaved in the global log. */
  const interleavedHistory = async (rounds: number) => {
    for (let round = 0; round < rounds; round++) {
      for (const teamId of teams) {
        await mustRun(store, {
          type: 'ChangeTeamRole',
          teamId,
          data: { userId: 'bob', role: round % 2 === 0 ? 'developer' : 'member' },
          metadata: at('alice'),
        });
      }
    }
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-concurrent-'));
    store = new HeldAuditStore();
    for (const teamId of teams) {
      await mustRun(store, {
        type: 'CreateTeam',
        teamId,
        data: { name: teamId, plan: 'enterprise' },
        metadata: at('alice'),
      });
      await mustRun(store, {
        type: 'AddMember',
        teamId,
        data: { userId: 'bob', role: 'member' },
        metadata: at('alice'),
      });
    }
  });
  afterEach(async () => {
    store.release();
    await audit.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps each team in its stream order with a valid chain, exactly one entry per event, while one team is held', async () => {
    const slow = teams[3];
    store.hold(auditStreamId(slow));
    audit = open();
    await audit.start();
    await interleavedHistory(6);
    const [slowFirst] = await store.readStream(teamStreamId(slow), { limit: 1 });

    // The other teams' entries go on, all of them, while the held team has none.
    const others = teams.filter((teamId) => teamId !== slow);
    await waitFor(async () => {
      for (const teamId of others) {
        if ((await entriesOf(teamId)).length !== (await store.streamRevision(teamStreamId(teamId))) + 1) return false;
      }
      return true;
    });
    expect(await entriesOf(slow)).toEqual([]);
    // …and nothing says the held team's first event has its entry.
    const through = audit.indexedThrough;
    expect(through === undefined || store.comparePositions(through, slowFirst.position) < 0).toBe(true);
    expect(await audit.isIndexedThrough(slowFirst.position)).toBe(false);
    expect(await audit.isIndexedThrough((await store.headPosition())!)).toBe(false);

    store.release();
    expect(await audit.waitUntilIndexed((await store.headPosition())!, 10_000)).toBe(true);
    for (const teamId of teams) {
      const events = await store.readStream(teamStreamId(teamId));
      const entries = await entriesOf(teamId);
      expect(entries.map((entry) => entry.kind === 'change' && entry.source.eventId)).toEqual(
        events.map((event) => event.id),
      );
      expect(entries.map((entry) => entry.sequence)).toEqual(entries.map((_, i) => i + 1));
      expect(await audit.verify(teamId)).toMatchObject({ valid: true });
    }
  });

  it('never resumes past an event whose entry failed to append: a restart records it, once', async () => {
    const failing = teams[5];
    store.hold(auditStreamId(failing));
    store.failing = true;
    audit = open();
    await audit.start();
    await interleavedHistory(3);
    const [failingFirst] = await store.readStream(teamStreamId(failing), { limit: 1 });
    const lastOther = (await store.readStream(teamStreamId(teams[15]))).at(-1)!;
    await waitFor(async () => (await entriesOf(teams[15])).length === lastOther.revision + 1 && store.attempts > 2);
    await audit.stop();
    // What the stopped process left for the next one to resume from.
    const index = new AuditIndex(join(dir, 'audit-index.db'), (a, b) => store.comparePositions(a, b));
    const through = index.recordedThrough;
    index.close();
    expect(through).toBeDefined();
    expect(through === undefined || store.comparePositions(through, failingFirst.position) < 0).toBe(true);
    expect(await entriesOf(failing)).toEqual([]);

    // The disk is back: the next process reads on from before the failed event and records its team, in order, once.
    store.failing = false;
    store.release();
    audit = open();
    await audit.start();
    expect(await audit.waitUntilIndexed((await store.headPosition())!, 10_000)).toBe(true);
    for (const teamId of teams) {
      const events = await store.readStream(teamStreamId(teamId));
      const entries = await entriesOf(teamId);
      expect(entries.map((entry) => entry.kind === 'change' && entry.source.eventId)).toEqual(
        events.map((event) => event.id),
      );
      expect(await audit.verify(teamId)).toMatchObject({ valid: true });
    }
  });
});
