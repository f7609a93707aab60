import { randomUUID } from 'node:crypto';
import type { EventStore } from '@access-audit/event-store';
import { count, percentile } from './bench-measure';

export interface LagResult {
  appends: number;
  seconds: number;
  /** Milliseconds from an append's acknowledgement to its delivery to the subscriber (0 when delivered before it). */
  lagMs: number[];
  deliveredOnce: boolean;
}

/**
 * Subscription lag under load: `appenders` clients append one event at a time to their own streams through `writer`
 * for `seconds`, while a live subscription on `reader` (the same store object, or another instance on the same data)
 * receives them. Every acknowledged append must be delivered exactly once.
 */
export async function subscriptionLag(
  writer: EventStore,
  reader: EventStore,
  options: { appenders: number; seconds: number },
): Promise<LagResult> {
  const prefix = `lag-${randomUUID()}-`;
  const acknowledged = new Map<string, bigint>();
  const deliveredAt = new Map<string, bigint>();
  let duplicates = 0;
  const subscription = reader.subscribe({ streamPrefixes: [prefix] });
  const consuming = (async () => {
    for await (const event of subscription) {
      if (deliveredAt.has(event.id)) duplicates += 1;
      deliveredAt.set(event.id, process.hrtime.bigint());
    }
  })();
  const started = process.hrtime.bigint();
  const until = started + BigInt(Math.round(options.seconds * 1e9));
  await Promise.all(
    Array.from({ length: options.appenders }, async (_, stream) => {
      for (let revision = 0; process.hrtime.bigint() < until; revision++) {
        const id = randomUUID();
        await writer.append(`${prefix}${stream}`, [{ id, type: 'Counted', data: { stream, revision } }], revision - 1);
        acknowledged.set(id, process.hrtime.bigint());
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const drainUntil = Date.now() + 30_000;
  while (deliveredAt.size < acknowledged.size && Date.now() < drainUntil) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await subscription.stop();
  await consuming;
  const lagMs = [...acknowledged].map(([id, at]) => {
    const delivered = deliveredAt.get(id);
    return delivered === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Number(delivered - at) / 1e6);
  });
  return {
    appends: acknowledged.size,
    seconds,
    lagMs,
    deliveredOnce: duplicates === 0 && deliveredAt.size === acknowledged.size,
  };
}

export function lagRow(label: string, result: LagResult): string {
  const ms = (fraction: number) => percentile(result.lagMs, fraction).toFixed(1).padStart(7);
  const max = Math.max(...result.lagMs)
    .toFixed(1)
    .padStart(7);
  return (
    `${label.padEnd(44)} ${count(Math.round(result.appends / result.seconds)).padStart(7)} appends/s  lag ms p50 ${ms(0.5)} ` +
    `p99 ${ms(0.99)} max ${max}  ${result.deliveredOnce ? 'each delivered once' : 'MISSING OR REPEATED EVENTS'}`
  );
}
