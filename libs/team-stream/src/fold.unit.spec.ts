import { randomUUID } from 'node:crypto';
import { policyVersion, teamStreamId } from '@access-audit/domain';
import { MemoryEventStore } from '@access-audit/event-store';
import { UndecodableTeamEventError } from './decode';
import { foldTeamStream } from './fold';

const base = (occurredAt: string) => ({ teamId: 'acme', actorId: 'olga', occurredAt, policyVersion });

describe('foldTeamStream', () => {
  it('names the event whose data decodes but cannot be folded, as it names an undecodable one', async () => {
    const store = new MemoryEventStore();
    const broken = randomUUID();
    await store.append(
      teamStreamId('acme'),
      [
        {
          id: randomUUID(),
          type: 'TeamCreated',
          data: { ...base('2026-01-01T00:00:00.000Z'), name: 'Acme', plan: 'enterprise', ownerId: 'olga' },
        },
        // A MemberAdded without its `after`: the team cannot be folded past it.
        { id: broken, type: 'MemberAdded', data: { ...base('2026-01-02T00:00:00.000Z'), userId: 'mia' } },
      ],
      'no_stream',
    );
    const folded = foldTeamStream(store, 'acme');
    await expect(folded).rejects.toBeInstanceOf(UndecodableTeamEventError);
    await expect(folded).rejects.toMatchObject({ event: { id: broken, revision: 1 } });
    // Up to the instant before it, the team folds.
    expect((await foldTeamStream(store, 'acme', { atMs: Date.parse('2026-01-01T12:00:00.000Z') })).state).toMatchObject(
      {
        status: 'active',
        name: 'Acme',
      },
    );
  });
});
