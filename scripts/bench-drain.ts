/**
 * Audit drain rows of `npm run bench` (BENCH_ONLY=drain runs them alone): delivery throughput while catching up a
 * backlog, against bare keep-alive POSTs of the same batches to the same receiver; and delivery lag under a steady
 * command load (command time to the receiver's arrival), against the audit log's own lag (command time to its entry
 * being appended). BENCH_DRAIN_ENTRIES sizes the backlog (default 20,000), BENCH_DRAIN_RATE the load (commands/s,
 * default 200) for BENCH_DRAIN_SECONDS (default 10).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TeamCommands } from '@access-audit/application';
import {
  AuditLog,
  auditStreamId,
  CheckpointSigner,
  DrainAllowList,
  DrainDeliveries,
  DrainSecretKey,
  DrainSecrets,
  maxBatchRecords,
  canonicalJson,
} from '@access-audit/audit';
import { StreamLocks } from '@access-audit/event-store';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { generateHistory } from './bench-history';

export interface BenchRow {
  figure: string;
  value: number;
  unit: string;
  limitName: string;
  limit: number;
}

const BACKLOG = Number(process.env.BENCH_DRAIN_ENTRIES ?? 20_000);
const RATE = Number(process.env.BENCH_DRAIN_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 10);

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** A receiver that acknowledges every POST and notes, per entry line, when it arrived. */
async function receiver(onLine: (line: string, at: number) => void) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = Date.now();
      for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) if (line) onLine(line, at);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`, close: () => server.close() };
}

const until = async (done: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('drain bench: timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

export async function benchDrain(
  dir: string,
  rows: BenchRow[],
  notes: string[],
  log: (m: string) => void,
): Promise<void> {
  const store = new SqliteEventStore(join(dir, 'drain-events.db'));
  const generated = await generateHistory(store, { totalEvents: BACKLOG, eventsPerTeam: BACKLOG });
  const teamId = 'team00000';
  const audit = new AuditLog({ store, signer: CheckpointSigner.generate(), indexPath: ':memory:' });
  await audit.start();
  const head = (await store.headPosition())!;
  while (!(await audit.isIndexedThrough(head))) await new Promise((resolve) => setTimeout(resolve, 50));
  const records = (await store.streamRevision(auditStreamId(teamId))) + 1;
  log(`drain bench: ${generated.events} team events, ${records} audit records of ${teamId}`);

  // Limit: the same batches POSTed back to back over one keep-alive connection, no store, no signature.
  const bodies: Buffer[] = [];
  for (let revision = 0; revision < records; revision += maxBatchRecords) {
    const events = await store.readStream(auditStreamId(teamId), { fromRevision: revision, limit: maxBatchRecords });
    bodies.push(Buffer.from(events.map((event) => `${canonicalJson(event.data)}\n`).join('')));
  }
  let received = 0;
  const arrivals = new Map<number, number>();
  const sink = await receiver((line, at) => {
    received += 1;
    const entry = JSON.parse(line) as { kind: string; sequence: number };
    if (entry.kind !== 'checkpoint') arrivals.set(entry.sequence, at);
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const bareStarted = performance.now();
  for (const body of bodies) {
    await new Promise<void>((resolve, reject) => {
      const req = request(sink.url, { method: 'POST', agent, headers: { 'content-length': body.length } }, (res) => {
        res.resume().on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const bareRate = (records / (performance.now() - bareStarted)) * 1000;
  agent.destroy();

  // The drain catching up the same backlog, cursor appended to the store after each 2xx.
  received = 0;
  arrivals.clear();
  const key = new DrainSecretKey(randomBytes(32));
  const secrets = new DrainSecrets(store, key);
  const deliveries = new DrainDeliveries({ store, secrets, allow: new DrainAllowList(['127.0.0.1']) });
  await deliveries.start();
  const commands = new TeamCommands({ store, locks: new StreamLocks(), now: () => new Date() });
  const context = { actorId: 'owner', correlationId: randomUUID() };
  const drainId = `drn_${randomUUID()}`;
  // Sealed first, so the first attempt finds it (the API seals it right after the command is accepted).
  await secrets.put(drainId, { secret: randomBytes(32).toString('base64url') });
  const catchUpStarted = performance.now();
  const added = await commands.issue({ type: 'AddAuditDrain', teamId, data: { drainId, url: sink.url } }, context);
  if (!added.ok) throw new Error(`drain bench: AddAuditDrain refused (${JSON.stringify(added)})`);
  await until(() => received >= records, 120_000);
  const drainRate = (records / (performance.now() - catchUpStarted)) * 1000;
  rows.push({
    figure: `drain catch-up (${records.toLocaleString('en-US')} records, from AddAuditDrain)`,
    value: drainRate,
    unit: 'records/s',
    limitName: 'bare keep-alive POSTs of the same batches',
    limit: bareRate,
  });

  // Lag under a steady load: one team command every 1/RATE s, each entry's arrival minus its command time.
  const headSequence = async (): Promise<number> => {
    for (;;) {
      const position = (await store.headPosition())!;
      if (await audit.isIndexedThrough(position)) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const revision = await store.streamRevision(auditStreamId(teamId));
    const [last] = await store.readStream(auditStreamId(teamId), { fromRevision: revision, limit: 1 });
    return (last!.data as { sequence: number }).sequence;
  };
  const backlogHead = await headSequence();
  await until(() => arrivals.has(backlogHead), 60_000);
  const firstSequence = backlogHead + 1;
  const issued: Array<{ time: number }> = [];
  const loadStarted = Date.now();
  let user = 0;
  while (Date.now() - loadStarted < SECONDS * 1000) {
    const due = loadStarted + (issued.length * 1000) / RATE;
    if (Date.now() < due) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const outcome = await commands.issue(
      { type: 'AddMember', teamId, data: { userId: `drain-bench-${user++}`, role: 'member' } },
      context,
    );
    if (!outcome.ok) throw new Error(`drain bench: AddMember refused`);
    issued.push({ time: Date.now() });
  }
  const lastSequence = await headSequence();
  await until(() => arrivals.has(lastSequence), 60_000);
  const drainLag: number[] = [];
  const auditLag: number[] = [];
  const entries = await store.readStream(auditStreamId(teamId), {
    fromRevision: Math.max(0, records - 5),
    limit: issued.length * 2 + 100,
  });
  for (const event of entries) {
    const entry = event.data as { kind: string; sequence: number; time: string };
    if (entry.kind === 'checkpoint' || entry.sequence < firstSequence) continue;
    const at = arrivals.get(entry.sequence);
    if (at === undefined) continue;
    drainLag.push(at - Date.parse(entry.time));
    auditLag.push(Date.parse(event.recordedAt) - Date.parse(entry.time));
  }
  drainLag.sort((a, b) => a - b);
  auditLag.sort((a, b) => a - b);
  for (const p of [50, 99]) {
    rows.push({
      figure: `drain lag p${p} at ${RATE} commands/s (command to receiver)`,
      value: percentile(drainLag, p),
      unit: 'ms',
      limitName: `audit entry appended (command to audit stream), p${p}`,
      limit: Math.max(1, percentile(auditLag, p)),
    });
  }
  notes.push(
    `drain: ${issued.length} commands at ${RATE}/s for ${SECONDS} s; ${drainLag.length} entries measured; the drain's lease holder woke on each audit append (one batch per wake, cursor appended after each 2xx)`,
  );
  await deliveries.stop();
  await audit.stop();
  sink.close();
  await store.close();
}
