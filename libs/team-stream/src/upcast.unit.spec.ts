import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storedPersonalText, teamStreamId } from '@access-audit/domain';
import { MemoryEventStore, StreamLocks, type EventMetadata, type RecordedEvent } from '@access-audit/event-store';
import { TeamCommands } from '@access-audit/application';
import { MasterKeys, MemorySubjectKeyStorage, SubjectKeys } from '@access-audit/privacy';
import {
  currentTeamEventSchemaVersion,
  decodeTeamEvent,
  teamEventSchemaVersionOf,
  UndecodableTeamEventError,
} from './decode';

const recorded = (type: string, data: unknown, metadata: EventMetadata = {}): RecordedEvent => ({
  id: 'e1',
  streamId: 'team-t',
  revision: 0,
  position: '1',
  type,
  data,
  metadata,
  recordedAt: '2026-01-01T00:00:00.000Z',
});
const base = { teamId: 't', actorId: 'olga', occurredAt: '2026-01-01T00:00:00.000Z', policyVersion: 'p' };
const sealed = { $sealed: 1 as const, subjects: ['olga', 'bob'], keys: ['k1', 'k2'], iv: 'aXY=', data: 'ZGF0YQ==' };
const added = (reason: unknown) => ({ ...base, reason, userId: 'bob', before: null, after: { role: 'member' } });
const v2 = { schemaVersion: 2 };

const refusal = (event: RecordedEvent): UndecodableTeamEventError => {
  try {
    decodeTeamEvent(event);
  } catch (error) {
    if (error instanceof UndecodableTeamEventError) return error;
    throw error;
  }
  throw new Error('decoded');
};

describe('team event upcasting at decode', () => {
  it('reads a v1 event (no schemaVersion, recorded before sealing) as the current shape: clear personal fields as legacy clear', () => {
    const event = decodeTeamEvent(recorded('MemberAdded', added('hired for the launch')));
    expect(event?.data).toEqual(added({ $clear: 1, text: 'hired for the launch' }));
    expect(storedPersonalText(event?.data.reason)).toBe('hired for the launch');
    const token = decodeTeamEvent(
      recorded('BypassTokenRecorded', {
        ...base,
        projectId: 'web',
        tokenId: 'tok',
        note: 'for Carol laptop',
        before: null,
        after: { tokenId: 'tok' },
      }),
    );
    expect(token?.data).toMatchObject({ note: { $clear: 1, text: 'for Carol laptop' } });
    expect(token?.data.reason).toBeUndefined();
  });

  it('leaves a v1 event sealed before versioning sealed, and a v2 sealed event as it is', () => {
    expect(decodeTeamEvent(recorded('MemberAdded', added(sealed)))?.data).toEqual(added(sealed));
    expect(decodeTeamEvent(recorded('MemberAdded', added(sealed), v2))?.data).toEqual(added(sealed));
  });

  it.each([
    ['a bare string reason', added('hired for the launch'), {}, 'data.reason is personal data in clear'],
    [
      'a legacy clear reason',
      added({ $clear: 1, text: 'hired for the launch' }),
      {},
      'data.reason is not a sealed value',
    ],
    [
      'a bare string IP',
      added(sealed),
      { requestContext: { ip: '198.51.100.30', userAgent: sealed } },
      'metadata.requestContext.ip is personal data in clear',
    ],
    [
      'a bare string user agent',
      added(undefined),
      { requestContext: { userAgent: 'curl/8.5.0 sec-oncall' } },
      'metadata.requestContext.userAgent is personal data in clear',
    ],
  ])('refuses a v2 event with %s (a sealing bug), naming the field, never its value', (_what, data, metadata, why) => {
    const error = refusal(recorded('MemberAdded', data, { ...metadata, ...v2 }));
    expect(error.message).toContain(why);
    expect(error.message).not.toMatch(/hired|198\.51|curl/);
  });

  it('reads a v1 request context in clear as recorded (the audit entry of then holds it as is)', () => {
    const metadata = { requestContext: { ip: '198.51.100.30', userAgent: 'curl/8.5.0' } };
    expect(decodeTeamEvent(recorded('MemberAdded', added(undefined), metadata))?.type).toBe('MemberAdded');
  });

  it.each([[3], ['2'], [0], [1.5]])(
    'leaves an event of schema version %p to the caller (undefined), as an unknown type',
    (schemaVersion) => {
      expect(decodeTeamEvent(recorded('MemberAdded', added(sealed), { schemaVersion }))).toBeUndefined();
    },
  );

  it('runs the upcasters registered for (type, from-version) in order up to the current version', () => {
    const seen: number[] = [];
    const upcasters = new Map([
      [
        'MemberAdded',
        new Map([
          [
            1,
            (e: { type: string; data: unknown }) => (
              seen.push(1),
              { ...e, data: { ...(e.data as object), reason: sealed } }
            ),
          ],
        ]),
      ],
    ]);
    expect(decodeTeamEvent(recorded('MemberAdded', added('x')), upcasters)?.data.reason).toEqual(sealed);
    expect(decodeTeamEvent(recorded('MemberAdded', added(sealed), v2), upcasters)?.data.reason).toEqual(sealed);
    expect(seen).toEqual([1]);
    expect(teamEventSchemaVersionOf({ metadata: {} })).toBe(1);
    expect(currentTeamEventSchemaVersion).toBe(2);
  });

  it('reads every event of the old-shape fixture (recorded before sealing) with no bare string in a personal field', () => {
    const lines = readFileSync(join(__dirname, '../../../test/fixtures/old-shape/old-shape.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { streamId: string; type: string; data: unknown; metadata: EventMetadata });
    let reasons = 0;
    for (const line of lines.filter((l) => l.streamId.startsWith('team-'))) {
      expect(teamEventSchemaVersionOf(line)).toBe(1);
      const event = decodeTeamEvent({ ...recorded(line.type, line.data, line.metadata), streamId: line.streamId });
      expect(event?.type).toBe(line.type);
      const data = event!.data as unknown as Record<string, unknown>;
      for (const field of ['reason', 'note']) expect(typeof data[field]).not.toBe('string');
      if (data.reason !== undefined) reasons++;
    }
    expect(reasons).toBeGreaterThan(5);
  });

  it('an event stored by the sealing commands of today is v2 and round-trips through decode', async () => {
    const store = new MemoryEventStore();
    const keys = new SubjectKeys(new MemorySubjectKeyStorage(), new MasterKeys(randomBytes(32)));
    const commands = new TeamCommands({ store, locks: new StreamLocks(), now: () => new Date(), personalData: keys });
    const context = { correlationId: 'r', requestContext: { ip: '203.0.113.9', userAgent: 'ua', requestId: 'r' } };
    await commands.issue(
      { type: 'CreateTeam', teamId: 't', data: { name: 'T', plan: 'pro' } },
      { ...context, actorId: 'olga', reason: 'founding' },
    );
    await commands.issue(
      { type: 'AddMember', teamId: 't', data: { userId: 'bob', role: 'member' } },
      { ...context, actorId: 'olga', reason: 'bob joins' },
    );
    const stored = await store.readStream(teamStreamId('t'));
    expect(stored.map((event) => event.metadata.schemaVersion)).toEqual([2, 2]);
    const event = decodeTeamEvent(stored[1]!)!;
    expect(event.data).toMatchObject({ userId: 'bob', reason: { $sealed: 1, subjects: ['olga', 'bob'] } });
    expect(await keys.reveal({ reason: event.data.reason, context: stored[1]!.metadata.requestContext })).toEqual({
      reason: 'bob joins',
      context: context.requestContext,
    });
  });

  it('the reader opens a legacy clear value as its text', async () => {
    const keys = new SubjectKeys(new MemorySubjectKeyStorage(), new MasterKeys(randomBytes(32)));
    expect(await keys.open({ $clear: 1, text: 'for Carol laptop' })).toBe('for Carol laptop');
    expect(await keys.reveal({ note: { $clear: 1, text: 'for Carol laptop' }, roles: { $clear: 'viewer' } })).toEqual({
      note: 'for Carol laptop',
      roles: { $clear: 'viewer' },
    });
  });
});
