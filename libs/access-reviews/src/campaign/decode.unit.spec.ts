import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventMetadata, RecordedEvent } from '@access-audit/event-store';
import { buildEvidence } from '../evidence/evidence';
import { decodeAccessReviewEvent, decodedRecorded, UndecodableAccessReviewEventError } from './decode';

/** The first campaign of the old-shape fixture (recorded before personal data was sealed), as stored. */
const fixture = readFileSync(join(__dirname, '../../../../test/fixtures/old-shape/old-shape.ndjson'), 'utf8')
  .trim()
  .split('\n')
  .map(
    (line) =>
      JSON.parse(line) as { streamId: string; id: string; type: string; data: unknown; metadata: EventMetadata },
  );
const campaignStreamId = fixture.find((event) => event.type === 'AccessReviewCompleted')!.streamId;
const campaign: RecordedEvent[] = fixture
  .filter((event) => event.streamId === campaignStreamId)
  .map((event, revision) => ({
    ...event,
    revision,
    position: String(revision + 1),
    recordedAt: '2026-12-01T14:36:28Z',
  }));
const decided = campaign.find((event) => event.type === 'AccessReviewItemDecided')!;
const sealed = { $sealed: 1 as const, subjects: ['rita', 'devon'], keys: ['k1', 'k2'], iv: 'aXY=', data: 'ZGF0YQ==' };
const asV2 = (data: Record<string, unknown>, metadata: EventMetadata = {}): RecordedEvent => ({
  ...decided,
  data: { ...(decided.data as object), ...data },
  metadata: { ...metadata, schemaVersion: 2 },
});
const refusal = (event: RecordedEvent): string => {
  try {
    decodeAccessReviewEvent(event);
  } catch (error) {
    if (error instanceof UndecodableAccessReviewEventError) return error.message;
    throw error;
  }
  throw new Error('decoded');
};

describe('decodeAccessReviewEvent', () => {
  it('reads a v1 decision (recorded before sealing) with its justification as a legacy clear value', () => {
    expect(decided.metadata.schemaVersion).toBeUndefined();
    expect(decodeAccessReviewEvent(decided).data).toMatchObject({
      justification: { $clear: 1, text: 'Devon no longer on call' },
    });
  });

  it('the evidence of the old campaign, decoded, shows the justifications recorded then (not "[erased]")', () => {
    const raw = buildEvidence(campaign);
    const decoded = buildEvidence(campaign.map(decodedRecorded));
    expect(decoded).toEqual(raw);
    expect(JSON.stringify(decoded)).toContain('"justification":"Devon no longer on call"');
  });

  it('reads a v2 decision whose justification and request context are sealed', () => {
    const event = asV2({ justification: sealed, reason: sealed }, { requestContext: { ip: sealed, requestId: 'r' } });
    expect(decodeAccessReviewEvent(event).data).toMatchObject({ justification: sealed, reason: sealed });
  });

  it.each([
    [
      'a justification in clear',
      { justification: 'Devon no longer on call' },
      {},
      'data.justification is personal data in clear',
    ],
    [
      'a reason in clear',
      { justification: sealed, reason: 'Devon no longer on call' },
      {},
      'data.reason is personal data in clear',
    ],
    [
      'a legacy clear justification',
      { justification: { $clear: 1, text: 'Devon no longer on call' } },
      {},
      'data.justification is not a sealed value',
    ],
    [
      'an IP in clear',
      { justification: sealed },
      { requestContext: { ip: '192.0.2.60' } },
      'metadata.requestContext.ip is personal data in clear',
    ],
  ])('refuses a v2 event with %s, naming the field, never its value', (_what, data, metadata, why) => {
    const message = refusal(asV2(data, metadata));
    expect(message).toContain(why);
    expect(message).not.toMatch(/Devon|192\.0\.2/);
  });

  it('stops at a schema version this code does not know, as the fold stops at an unknown type', () => {
    expect(refusal({ ...decided, metadata: { schemaVersion: 3 } })).toContain('schema version is unknown');
    expect(refusal({ ...decided, type: 'AccessReviewPaused' })).toContain('its type is unknown');
  });
});
