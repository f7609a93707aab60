/**
 * One bad team must not stop other teams' audit entries (issue #10, Build 2): an event whose entry cannot be built
 * quarantines its team; every other team's entries go on; a restart tries the event again.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyVersion, teamStreamId, type TeamEvent } from '@access-audit/domain';
import { MemoryEventStore, type RecordedEvent } from '@access-audit/event-store';
import * as actions from './actions';
import { AuditLog } from './audit-log';
import { CheckpointSigner } from './signing';
import { at, enterpriseHistory, mustRun } from './testing/audit-fixtures';

const signer = CheckpointSigner.generate();

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('an event whose audit entry cannot be built quarantines its team only', () => {
  let dir: string;
  let store: MemoryEventStore;
  let audit: AuditLog;
  const errors: string[] = [];
  const open = () =>
    new AuditLog({
      store,
      signer,
      indexPath: join(dir, 'audit-index.db'),
      retryDelayMs: 10,
      onError: (message) => errors.push(message),
    });
  const head = async () => (await store.headPosition())!;
  const actionsOf = (teamId: string) => audit.page(teamId, {}, 100).entries.map((entry) => entry.action);
  const lastEvent = async (teamId: string): Promise<RecordedEvent> =>
    (await store.readStream(teamStreamId(teamId))).at(-1)!;
  /** A well-formed MemberAdded appended straight to the store. */
  const appendMemberAdded = (teamId: string, userId: string) =>
    store.append(
      teamStreamId(teamId),
      [
        {
          id: randomUUID(),
          type: 'MemberAdded',
          data: {
            teamId,
            actorId: 'eve',
            occurredAt: at('eve').now,
            policyVersion,
            userId,
            before: null,
            after: { role: 'developer' },
          },
        },
      ],
      'any',
    );

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-quarantine-'));
    errors.length = 0;
    store = new MemoryEventStore();
    await enterpriseHistory(store, 'acme');
    await mustRun(store, {
      type: 'CreateTeam',
      teamId: 'bad',
      data: { name: 'Bad', plan: 'enterprise' },
      metadata: at('eve'),
    });
  });
  afterEach(async () => {
    await audit.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("records the other teams' events after it, names the failed event, and skips the team's later events", async () => {
    // An event with no data, as a damaged or hand-edited store could hold.
    await store.append(teamStreamId('bad'), [{ id: randomUUID(), type: 'MemberAdded', data: null }], 'any');
    const poison = await lastEvent('bad');
    await appendMemberAdded('bad', 'zed');
    await mustRun(store, { type: 'RemoveMember', teamId: 'acme', data: { userId: 'dan' }, metadata: at('alice') });
    audit = open();
    await audit.start();

    expect(await audit.waitUntilIndexed(await head(), 5_000)).toBe(true);
    expect(actionsOf('acme').at(-1)).toBe('team.member.removed');
    expect(actionsOf('bad')).toEqual(['team.created']);
    expect(audit.quarantine('bad')).toEqual({
      teamId: 'bad',
      event: { id: poison.id, type: 'MemberAdded', position: poison.position, streamId: 'team-bad', streamRevision: 1 },
      resumeAfter: expect.any(String),
    });
    expect(audit.quarantinedTeams().map((team) => team.teamId)).toEqual(['bad']);
    expect(errors).toEqual([expect.stringContaining('team bad quarantined')]);
    expect((await audit.verify('acme')).valid).toBe(true);

    // After a restart the failed event is met again: it fails again, and the other teams still go on.
    await audit.stop();
    await mustRun(store, { type: 'RemoveMember', teamId: 'acme', data: { userId: 'carol' }, metadata: at('alice') });
    audit = open();
    await audit.start();
    expect(await audit.waitUntilIndexed(await head(), 5_000)).toBe(true);
    expect(audit.page('acme', { subject: 'carol', type: 'team.member.removed' }, 100).entries).toHaveLength(1);
    expect(audit.quarantine('bad')?.event.id).toBe(poison.id);
    expect(errors).toEqual([
      expect.stringContaining('team bad quarantined'),
      expect.stringContaining('team bad quarantined'),
    ]);
    expect(actionsOf('bad')).toEqual(['team.created']);
  });

  it('moves the team on after a restart once its event can be recorded, in its stream order', async () => {
    const describe = actions.describeTeamEvent;
    // A deliberately throwing hook: zed's addition cannot be described until the hook is gone.
    const hook = jest.spyOn(actions, 'describeTeamEvent').mockImplementation((event: TeamEvent) => {
      if ((event.data as { userId?: string }).userId === 'zed') throw new TypeError('cannot describe');
      return describe(event);
    });
    await appendMemberAdded('bad', 'zed');
    await appendMemberAdded('bad', 'yan');
    audit = open();
    await audit.start();
    expect(await audit.waitUntilIndexed(await head(), 5_000)).toBe(true);
    expect(audit.quarantine('bad')).toBeDefined();
    expect(actionsOf('bad')).toEqual(['team.created']);

    await audit.stop();
    hook.mockRestore();
    audit = open();
    await audit.start();
    // The quarantined team's events are read again from before the failed one, which is recorded now.
    await waitFor(() => audit.quarantinedTeams().length === 0);
    expect(await audit.waitUntilIndexed(await head(), 5_000)).toBe(true);
    expect(errors).toEqual([expect.stringContaining('team bad quarantined')]);
    expect(audit.page('bad', {}, 100).entries.map((entry) => entry.target.userId)).toEqual(['eve', 'zed', 'yan']);
    expect((await audit.verify('bad')).valid).toBe(true);
  });
});
