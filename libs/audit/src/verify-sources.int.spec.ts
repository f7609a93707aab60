import { teamStreamId } from '@access-audit/domain';
import { MemoryEventStore, type RecordedEvent } from '@access-audit/event-store';
import { sealEntry } from './chain';
import { genesisHash, type AuditEntry } from './entry';
import { deriveChange, sourceEventDigest } from './source-entry';
import { enterpriseHistory } from './testing/audit-fixtures';
import { SourceVerifier } from './verify-sources';

/** A chain as the audit trail would record it for these events, in this order. */
function chainOf(events: RecordedEvent[]): AuditEntry[] {
  let prevHash = genesisHash;
  return events.map((event, index) => {
    const entry = sealEntry({ ...deriveChange(event)!, sequence: index + 1, prevHash });
    prevHash = entry.hash;
    return entry;
  });
}

describe('SourceVerifier', () => {
  let store: MemoryEventStore;
  let events: RecordedEvent[];

  beforeEach(async () => {
    store = new MemoryEventStore();
    await enterpriseHistory(store);
    events = await store.readStream(teamStreamId('acme'));
  });
  afterEach(() => store.close());

  const verify = async (entries: unknown[], recordedThrough?: string) => {
    const verifier = new SourceVerifier(store, { from: 'start' });
    for (const entry of entries) await verifier.push(entry);
    return verifier.finish({ drain: true, ...(recordedThrough ? { recordedThrough } : {}) });
  };

  it('finds nothing on the chain the audit trail records', async () => {
    expect(await verify(chainOf(events))).toEqual({
      compared: 10,
      different: 0,
      missing: 0,
      extra: 0,
      unrecorded: 0,
      uncommitted: 0,
      mismatches: [],
    });
  });

  it('names an event skipped in the middle as missing, before the entry that follows it', async () => {
    const chain = chainOf(events.filter((event) => event.revision !== 3));
    const result = await verify(chain);
    expect(result).toMatchObject({ compared: 9, missing: 1, different: 0, extra: 0 });
    expect(result.mismatches).toEqual([
      {
        kind: 'missing',
        sequence: 4,
        entryId: null,
        source: {
          streamId: 'team-acme',
          streamRevision: 3,
          eventId: events[3]!.id,
          eventType: 'MemberAdded',
          position: events[3]!.position,
        },
        fields: [],
        reason: 'MemberAdded at revision 3 of team-acme has no audit entry',
      },
    ]);
  });

  it('counts events after the last entry as not yet recorded, or as missing up to the position recorded through', async () => {
    const chain = chainOf(events.slice(0, 8));
    expect(await verify(chain)).toMatchObject({ compared: 8, missing: 0, unrecorded: 2 });
    expect(await verify(chain, events[8]!.position)).toMatchObject({ compared: 8, missing: 1, unrecorded: 1 });
  });

  it('names an entry recorded twice, one whose source is not there, and one from another team as extra', async () => {
    const chain = chainOf(events);
    const twice = { ...chain[4]!, sequence: 11 };
    const nowhere = {
      ...chain[9]!,
      sequence: 12,
      source: { ...(chain[9] as { source: object }).source, streamRevision: 40 },
    };
    const foreign = {
      ...chain[9]!,
      sequence: 13,
      source: { ...(chain[9] as { source: object }).source, streamId: 'team-other' },
    };
    const result = await verify([...chain, twice, nowhere, foreign]);
    expect(result).toMatchObject({ compared: 10, extra: 3, different: 0, missing: 0 });
    expect(result.mismatches.map((m) => [m.kind, m.sequence, m.reason])).toEqual([
      ['extra', 11, expect.stringMatching(/a second entry for revision 4 of team-acme/)],
      ['extra', 12, 'team-acme has no event at revision 40: the source event was removed'],
      ['extra', 13, 'its source stream team-other is not one recorded in the audit log of team acme'],
    ]);
  });

  it('compares members by their own names: a stored `__proto__` member is a difference like any other', async () => {
    const chain = chainOf(events);
    const forged = { ...chain[3]!, after: JSON.parse('{"role":"developer","__proto__":{"role":"owner"}}') as unknown };
    const result = await verify([...chain.slice(0, 3), forged, ...chain.slice(4)]);
    expect(result.mismatches).toEqual([
      expect.objectContaining({
        kind: 'different',
        sequence: 4,
        fields: [{ field: 'after.__proto__', entry: { role: 'owner' } }],
      }),
    ]);
  });
});

describe('SourceVerifier: entries commit to their whole source event (source.digest)', () => {
  let store: MemoryEventStore;
  let events: RecordedEvent[];

  beforeEach(async () => {
    store = new MemoryEventStore();
    await enterpriseHistory(store);
    events = await store.readStream(teamStreamId('acme'));
  });
  afterEach(() => store.close());

  const verify = async (entries: unknown[]) => {
    const verifier = new SourceVerifier(store, { from: 'start' });
    for (const entry of entries) await verifier.push(entry);
    return verifier.finish({ drain: true });
  };
  /** The chain as an earlier version recorded it: no digest in `source`. */
  const withoutDigest = (entries: AuditEntry[]): AuditEntry[] => {
    let prevHash = genesisHash;
    return entries.map((entry) => {
      const { hash: _hash, ...rest } = entry as AuditEntry & { source: { digest?: string } };
      const { digest: _digest, ...source } = rest.source;
      const sealed = sealEntry({ ...rest, source, prevHash } as never);
      prevHash = sealed.hash;
      return sealed;
    });
  };

  it('names source.digest when the event differs only where the entry shows nothing (its metadata)', async () => {
    // The entry was recorded from the event as it was; the store now holds it with a link it never had.
    const recordedFrom = events.map((event, index) =>
      index === 5 ? { ...event, metadata: { ...event.metadata, accessReview: { reviewId: 'r', itemId: 'i' } } } : event,
    );
    const chain = chainOf(recordedFrom);
    const result = await verify(chain);
    expect(result).toMatchObject({ compared: 10, different: 1, uncommitted: 0 });
    expect(result.mismatches).toEqual([
      expect.objectContaining({
        kind: 'different',
        sequence: 6,
        entryId: chain[5]!.id,
        source: expect.objectContaining({ eventId: events[5]!.id, streamRevision: 5 }),
        fields: [
          {
            field: 'source.digest',
            entry: (chain[5] as { source: { digest: string } }).source.digest,
            source: sourceEventDigest(events[5]!),
          },
        ],
      }),
    ]);
  });

  it('compares entries recorded without a digest field by field and counts them as not committed to the whole event', async () => {
    const legacy = withoutDigest(chainOf(events));
    expect(await verify(legacy)).toEqual(expect.objectContaining({ compared: 10, different: 0, uncommitted: 10 }));
    // Field-by-field comparison still holds for them.
    const forged = [...legacy];
    forged[3] = { ...legacy[3]!, after: { role: 'owner' } } as AuditEntry;
    expect(await verify(forged)).toMatchObject({ different: 1, uncommitted: 10 });
  });

  it('accepts digests from some entry on, and names a later entry without one (its digest stripped)', async () => {
    const chain = chainOf(events);
    const upgraded = [...withoutDigest(chain.slice(0, 4)), ...chain.slice(4)];
    expect(await verify(upgraded)).toMatchObject({ compared: 10, different: 0, uncommitted: 4 });
    const stripped = [...upgraded];
    stripped[7] = withoutDigest([chain[7]!])[0]!;
    const result = await verify(stripped);
    expect(result).toMatchObject({ different: 1, uncommitted: 4 });
    expect(result.mismatches).toEqual([
      expect.objectContaining({
        kind: 'different',
        sequence: 8,
        fields: [{ field: 'source.digest', source: sourceEventDigest(events[7]!) }],
        reason: expect.stringMatching(/carries no source\.digest although entry 5 before it does/),
      }),
    ]);
  });
});
