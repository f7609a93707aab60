import { randomBytes } from 'node:crypto';
import { teamStreamId } from '@access-audit/domain';
import { MemoryEventStore, StreamLocks } from '@access-audit/event-store';
import { erasedText, MasterKeys, MemorySubjectKeyStorage, SubjectKeys } from '@access-audit/privacy';
import { decodeTeamEvent } from '@access-audit/team-stream';
import { TeamCommands, type DenialSink } from './team-commands';

const requestContext = { ip: '203.0.113.77', userAgent: 'Mozilla/5.0 (X11; alice-laptop)', requestId: 'req-1' };

async function setUp() {
  const store = new MemoryEventStore();
  const keys = new SubjectKeys(new MemorySubjectKeyStorage(), new MasterKeys(randomBytes(32)));
  const denied: Parameters<DenialSink['record']>[] = [];
  let clock = Date.parse('2026-06-01T00:00:00Z');
  const commands = new TeamCommands({
    store,
    locks: new StreamLocks(),
    now: () => new Date((clock += 1_000)),
    personalData: keys,
    denials: { record: (...args) => Promise.resolve(void denied.push(args)) },
  });
  const issue = (actorId: string, input: Parameters<TeamCommands['issue']>[0], reason?: string) =>
    commands.issue(input, { actorId, correlationId: 'req-1', requestContext, ...(reason ? { reason } : {}) });
  await issue('alice', { type: 'CreateTeam', teamId: 'acme', data: { name: 'Acme', plan: 'pro' } }, 'founding');
  await issue(
    'alice',
    { type: 'AddMember', teamId: 'acme', data: { userId: 'bob', role: 'member' } },
    'bob joins for the launch',
  );
  return { store, keys, denied, issue };
}

describe('TeamCommands seal personal data just before append', () => {
  it('stores reason, IP and user agent sealed; they open to the text until a subject is erased', async () => {
    const { store, keys } = await setUp();
    const recorded = await store.readStream(teamStreamId('acme'));
    const raw = JSON.stringify(recorded);
    for (const value of ['founding', 'bob joins for the launch', requestContext.ip, requestContext.userAgent]) {
      expect(raw).not.toContain(value);
    }
    const added = recorded[1];
    const event = decodeTeamEvent(added)!;
    expect(event.data.reason).toMatchObject({ $sealed: 1, subjects: ['alice', 'bob'] });
    expect(added.metadata.requestContext).toMatchObject({
      requestId: 'req-1',
      ip: { $sealed: 1, subjects: ['alice'] },
    });
    expect(await keys.reveal({ reason: event.data.reason, context: added.metadata.requestContext })).toEqual({
      reason: 'bob joins for the launch',
      context: requestContext,
    });
    // Bob's erasure reaches the reason written about his access, not alice's own request context.
    await keys.erase('bob');
    expect(await keys.reveal({ reason: event.data.reason, context: added.metadata.requestContext })).toEqual({
      reason: erasedText,
      context: requestContext,
    });
  });

  it('a denial gets the sealed reason and request context, never the plaintext', async () => {
    const { denied, issue } = await setUp();
    const outcome = await issue(
      'bob',
      { type: 'RemoveMember', teamId: 'acme', data: { userId: 'alice' } },
      'bob tries',
    );
    expect(outcome.ok).toBe(false);
    expect(denied).toHaveLength(1);
    const [, , context] = denied[0];
    expect(JSON.stringify(context)).not.toMatch(/bob tries|203\.0\.113\.77|alice-laptop/);
    expect(context.reason).toMatchObject({ $sealed: 1, subjects: ['bob', 'alice'] });
  });

  it('records the erasure of a subject once per team: a second erasure appends nothing', async () => {
    const { store, issue } = await setUp();
    const erase = () =>
      issue('operator-1', { type: 'RecordSubjectErasure', teamId: 'acme', data: { userId: 'bob' } }, 'ticket 9');
    expect(await erase()).toMatchObject({ ok: true, events: [{ type: 'SubjectErased' }] });
    expect(await erase()).toMatchObject({ ok: true, events: [] });
    const last = (await store.readStream(teamStreamId('acme'))).at(-1)!;
    expect(last.type).toBe('SubjectErased');
    expect((last.data as { reason: unknown }).reason).toMatchObject({ $sealed: 1, subjects: ['operator-1'] });
  });
});
