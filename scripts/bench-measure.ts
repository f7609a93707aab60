/** Measuring helpers of the store benchmark: alternating runs of two sides, latencies, rates and table rows. */

export interface Measurement {
  operations: number;
  seconds: number;
}

/** One side of a comparison: performs its next operation (one append transaction) when asked. */
export type NextOperation = () => Promise<void> | void;

/** One side of a comparison: performs `count` operations, in whatever concurrency it has. */
export type Operations = (count: number) => Promise<void>;

/** Appends alternate between adapter and raw in chunks of this many operations, so disk drift hits both alike. */
export const CHUNKS = 8;

export const oneAtATime =
  (next: NextOperation): Operations =>
  async (count) => {
    for (let i = 0; i < count; i++) await next();
  };

/** Runs both sides in alternating chunks until `operations` each, or until a side has used its time budget. */
export async function alternate(
  operations: number,
  budgetSeconds: number,
  adapter: Operations,
  raw: Operations,
): Promise<{ adapter: Measurement; raw: Measurement }> {
  const result = { adapter: { operations: 0, seconds: 0 }, raw: { operations: 0, seconds: 0 } };
  const chunk = Math.ceil(operations / CHUNKS);
  while (result.adapter.operations < operations) {
    for (const [side, run] of [
      [result.adapter, adapter],
      [result.raw, raw],
    ] as const) {
      const count = Math.min(chunk, operations - side.operations);
      const started = process.hrtime.bigint();
      await run(count);
      side.seconds += Number(process.hrtime.bigint() - started) / 1e9;
      side.operations += count;
    }
    if (result.adapter.seconds > budgetSeconds || result.raw.seconds > budgetSeconds) break;
  }
  return result;
}

export interface Latencies {
  /** Microseconds, one per operation. */
  samples: number[];
}

/** Times each operation alone, after a timer, in alternating chunks, so both sides meet the same disk. */
export async function loneLatencies(
  operations: number,
  adapter: NextOperation,
  raw: NextOperation,
): Promise<{ adapter: Latencies; raw: Latencies }> {
  const result = { adapter: { samples: [] as number[] }, raw: { samples: [] as number[] } };
  const chunk = Math.ceil(operations / CHUNKS);
  for (let done = 0; done < operations; done += chunk) {
    for (const [side, next] of [
      [result.adapter, adapter],
      [result.raw, raw],
    ] as const) {
      for (let i = 0; i < Math.min(chunk, operations - done); i++) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        const started = process.hrtime.bigint();
        await next();
        side.samples.push(Number(process.hrtime.bigint() - started) / 1e3);
      }
    }
  }
  return result;
}

export function percentile(samples: number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

export function fastest(measurements: Measurement[]): Measurement {
  return measurements.reduce((best, m) => (m.operations / m.seconds > best.operations / best.seconds ? m : best));
}

export function rate(measurement: Measurement): number {
  return measurement.operations / measurement.seconds;
}

export const count = (n: number): string => n.toLocaleString('en-US');

const format = (value: number): string => Math.round(value).toLocaleString('en-US').padStart(11);

export function header(): string {
  return `${'operation'.padEnd(34)} ${'adapter'.padStart(11)} ${'raw'.padStart(11)} ${'unit'.padEnd(9)} ${'ratio'.padStart(6)}`;
}

export function row(label: string, unit: string, adapter: Measurement, raw: Measurement): string {
  const ratio = (rate(adapter) / rate(raw)).toFixed(2);
  return `${label.padEnd(34)} ${format(rate(adapter))} ${format(rate(raw))} ${unit.padEnd(9)} ${ratio.padStart(6)}`;
}

/** p50 and p99 rows of lone-append latencies, adapter beside raw. */
export function latencyRows(lone: { adapter: Latencies; raw: Latencies }): string[] {
  return (
    [
      ['p50', 0.5],
      ['p99', 0.99],
    ] as const
  ).map(([label, fraction]) => {
    const [adapterMicros, rawMicros] = [lone.adapter, lone.raw].map((side) => percentile(side.samples, fraction));
    const ratio = (adapterMicros / rawMicros).toFixed(2).padStart(6);
    return `${`lone append latency ${label} (${count(lone.adapter.samples.length)})`.padEnd(34)} ${format(adapterMicros)} ${format(rawMicros)} ${'µs'.padEnd(9)} ${ratio}`;
  });
}
