import type { LegacyClearText } from '@access-audit/domain';
import type { RecordedEvent } from '@access-audit/event-store';
import { isSealedValue } from '@access-audit/privacy';
import { accessReviewEventTypes, type AccessReviewEvent } from './events';

/** The schema version of campaign events appended sealed (`metadata.schemaVersion`); absent reads as 1. */
export const currentAccessReviewEventSchemaVersion = 2;

/** A recorded campaign event that cannot be read as one; names the event and the field, never its data. */
export class UndecodableAccessReviewEventError extends TypeError {
  constructor(
    readonly event: Pick<RecordedEvent, 'id' | 'streamId' | 'revision' | 'type'>,
    readonly why: string,
  ) {
    super(`campaign event ${event.id} (${event.type}, ${event.streamId}@${event.revision}) cannot be decoded: ${why}`);
    this.name = 'UndecodableAccessReviewEventError';
  }
}

const knownTypes: ReadonlySet<string> = new Set(accessReviewEventTypes);
/** The free-text fields of campaign events (the reviewer's justification only on a decision). */
const personalFields = ['reason', 'justification'] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The decode of a recorded campaign event: v1 (recorded before sealing) has its clear free text upcast to legacy clear
 * values; v2 must hold every personal field sealed (one in clear is a sealing bug). A type or version this code does
 * not know stops the read, as the fold stops at an unknown type.
 */
export function decodeAccessReviewEvent(
  recorded: Pick<RecordedEvent, 'id' | 'streamId' | 'revision' | 'type' | 'data' | 'metadata'>,
): AccessReviewEvent {
  const version = recorded.metadata?.schemaVersion ?? 1;
  if (version !== 1 && version !== currentAccessReviewEventSchemaVersion)
    throw new UndecodableAccessReviewEventError(recorded, 'its schema version is unknown to this code');
  if (!knownTypes.has(recorded.type)) throw new UndecodableAccessReviewEventError(recorded, 'its type is unknown');
  if (!isObject(recorded.data)) throw new UndecodableAccessReviewEventError(recorded, 'its data is not an object');
  const data: Record<string, unknown> = { ...recorded.data };
  if (version === 1) {
    for (const field of personalFields) {
      const value = data[field];
      if (typeof value === 'string') data[field] = { $clear: 1, text: value } satisfies LegacyClearText;
    }
  } else {
    const context = recorded.metadata?.requestContext;
    const fields: [string, unknown][] = personalFields.map((field) => [`data.${field}`, data[field]]);
    if (isObject(context))
      fields.push(['metadata.requestContext.ip', context.ip], ['metadata.requestContext.userAgent', context.userAgent]);
    for (const [path, value] of fields) {
      if (value === undefined || isSealedValue(value)) continue;
      const why = typeof value === 'string' ? 'is personal data in clear (not sealed)' : 'is not a sealed value';
      throw new UndecodableAccessReviewEventError(recorded, `${path} ${why}`);
    }
  }
  return { type: recorded.type, data } as unknown as AccessReviewEvent;
}

/** The recorded event with its data as decoded (upcast), for readers that keep the store's position and id. */
export const decodedRecorded = <R extends RecordedEvent>(recorded: R): R => ({
  ...recorded,
  data: decodeAccessReviewEvent(recorded).data,
});
