import type { RecordedEvent } from '@access-audit/event-store';
import { deriveChange, sourceEventDigest } from './source-entry';

const rotated = (tokenHash: string, metadata: RecordedEvent['metadata'] = {}): RecordedEvent => ({
  id: '5b0c2f43-2f3e-4a55-9d7b-8f3a8e3f7a10',
  streamId: 'team-acme',
  revision: 4,
  position: '9',
  type: 'DirectoryTokenRotated',
  data: {
    teamId: 'acme',
    actorId: 'alice',
    occurredAt: '2026-03-03T10:00:00.000Z',
    policyVersion: 'p',
    directoryId: 'okta',
    tokenHash,
    before: { directoryId: 'okta', name: 'Okta' },
    after: { directoryId: 'okta', name: 'Okta' },
  },
  metadata,
  recordedAt: '2026-03-03T10:00:00.000Z',
});

describe('a change entry commits to its whole source event', () => {
  it('commits to a field it keeps out of its readable fields (a directory token hash)', () => {
    const entry = deriveChange(rotated('a'.repeat(64)))!;
    expect(JSON.stringify({ ...entry, source: { ...entry.source, digest: undefined } })).not.toContain('a'.repeat(64));
    expect(entry.source.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(deriveChange(rotated('b'.repeat(64)))!.source.digest).not.toBe(entry.source.digest);
  });

  it('commits to the metadata the service trusts (the campaign link of an enforcing event) and ignores member order', () => {
    const plain = sourceEventDigest(rotated('a'.repeat(64)));
    const linked = sourceEventDigest(
      rotated('a'.repeat(64), { accessReview: { reviewId: 'q1', itemId: 'team_role:bob' } }),
    );
    expect(linked).not.toBe(plain);
    const reordered = rotated('a'.repeat(64), { accessReview: { itemId: 'team_role:bob', reviewId: 'q1' } });
    expect(sourceEventDigest(reordered)).toBe(linked);
  });
});
