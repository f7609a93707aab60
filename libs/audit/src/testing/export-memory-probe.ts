/**
 * Child process of the export memory spec: exports one team's audit log as NDJSON from a SQLite store to a slow reader
 * and prints, as JSON, how many lines and bytes it read and how much heap and RSS grew meanwhile.
 * Usage: export-memory-probe <events.db> <teamId> <signing-key.pem>
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { dirname } from 'node:path';
import { AuditLog, loadCheckpointSigner } from '@access-audit/audit';

async function probe(path: string, teamId: string, keyPath: string): Promise<void> {
  const store = new SqliteEventStore(path);
  const signer = loadCheckpointSigner({ keyPath, dataDir: dirname(path) });
  const audit = new AuditLog({ store, signer, indexPath: ':memory:' });
  const baseline = process.memoryUsage();
  let peakHeap = baseline.heapUsed;
  let peakRss = baseline.rss;
  let lines = 0;
  let bytes = 0;
  let chunks = 0;
  const slowReader = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
      if (++chunks % 100 === 0) {
        const now = process.memoryUsage();
        peakHeap = Math.max(peakHeap, now.heapUsed);
        peakRss = Math.max(peakRss, now.rss);
      }
      setImmediate(callback);
    },
  });
  await pipeline(await audit.export(teamId, 'ndjson'), slowReader);
  await audit.stop();
  await store.close();
  process.stdout.write(
    `${JSON.stringify({ lines, bytes, heapGrowth: peakHeap - baseline.heapUsed, rssGrowth: peakRss - baseline.rss, baselineRss: baseline.rss })}\n`,
  );
}

probe(process.argv[2], process.argv[3], process.argv[4]).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
