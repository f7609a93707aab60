/**
 * The cost of sealing personal data (`BENCH_ONLY=privacy npm run bench`), each figure beside its limit measured in the
 * same run, the two sides interleaved round by round so that a busy machine slows both alike:
 *
 *   seal one reason (2 subjects, keys cached)  vs one AES-256-GCM encryption of the same text under a fixed key
 *   open one sealed reason (keys cached)       vs one AES-256-GCM decryption of the same text under a fixed key
 *   replay events/s, reason/ip/userAgent sealed vs the same history with them in clear
 *   command p50/p99 with sealing               vs the same commands without a sealer (durable SQLite appends)
 *
 * BENCH_PRIVACY_EVENTS scales the replayed history (default 200,000), BENCH_PRIVACY_ROUNDS the interleaved rounds
 * (default 3).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TeamCommands } from '@access-audit/application';
import { StreamLocks, type EventStore, type EventToAppend } from '@access-audit/event-store';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { openReadModelDatabase, rebuildReadModels } from '@access-audit/projections';
import { teamStreamId, type TeamEvent } from '@access-audit/domain';
import {
  isSealedValue,
  MasterKeys,
  sealRequestContext,
  sealTeamEvent,
  SubjectKeys,
  type SealedValue,
} from '@access-audit/privacy';
import { SqliteSubjectKeyStorage } from '../libs/privacy/src/sqlite-key-storage';
import { generateHistory } from './bench-history';

export interface PrivacyRow {
  figure: string;
  value: number;
  unit: string;
  limitName: string;
  limit: number;
}

const EVENTS = Number(process.env.BENCH_PRIVACY_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_PRIVACY_ROUNDS ?? 3);
const reasonText = 'moved to the payments squad after the Q3 reorganisation';
const ip = '203.0.113.77';
const userAgent = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/17.5';

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Microseconds per call of `operation`, `count` calls in a row. */
async function microsPerCall(count: number, operation: () => unknown): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await operation();
  return Number(process.hrtime.bigint() - started) / 1e3 / count;
}

/** The history's personal fields, in clear or sealed by the application layer's own functions, as before append. */
function withPersonalFields(store: EventStore, keys: SubjectKeys | undefined): EventStore {
  const dress = async (event: EventToAppend): Promise<EventToAppend> => {
    const data = { ...(event.data as TeamEvent['data']), reason: reasonText };
    const requestContext = { ip, userAgent, requestId: 'bench' };
    if (!keys) return { ...event, data, metadata: { ...event.metadata, requestContext } };
    const sealed = await sealTeamEvent({ type: event.type, data } as TeamEvent, keys);
    return {
      ...event,
      data: sealed.data,
      metadata: { ...event.metadata, requestContext: await sealRequestContext(requestContext, data.actorId, keys) },
    };
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'append') return Reflect.get(target, property, receiver) as unknown;
      return async (streamId: string, events: EventToAppend[], expected: Parameters<EventStore['append']>[2]) =>
        target.append(streamId, await Promise.all(events.map(dress)), expected);
    },
  });
}

export async function benchPrivacy(dir: string, rows: PrivacyRow[], notes: string[], log: (line: string) => void) {
  const master = new MasterKeys(randomBytes(32));
  const keys = new SubjectKeys(new SqliteSubjectKeyStorage(join(dir, 'subject-keys.db')), master);
  const fixedKey = randomBytes(32);

  // 1. One value: sealing and opening with every key cached, against the bare cipher of the same text.
  const sealed = await keys.seal(reasonText, ['alice', 'bob']);
  const rawSealed = (() => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', fixedKey, iv);
    return { iv, data: Buffer.concat([cipher.update(reasonText, 'utf8'), cipher.final()]), tag: cipher.getAuthTag() };
  })();
  const rawSeal = () => {
    const cipher = createCipheriv('aes-256-gcm', fixedKey, randomBytes(12));
    return Buffer.concat([cipher.update(reasonText, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
  };
  const rawOpen = () => {
    const decipher = createDecipheriv('aes-256-gcm', fixedKey, rawSealed.iv);
    decipher.setAuthTag(rawSealed.tag);
    return Buffer.concat([decipher.update(rawSealed.data), decipher.final()]).toString('utf8');
  };
  const seal: number[] = [];
  const sealRaw: number[] = [];
  const open: number[] = [];
  const openRaw: number[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const s = await microsPerCall(20_000, () => keys.seal(reasonText, ['alice', 'bob']));
    const sr = await microsPerCall(20_000, rawSeal);
    const o = await microsPerCall(20_000, () => keys.open(sealed));
    const or = await microsPerCall(20_000, rawOpen);
    // The first round warms the JIT and the key cache.
    if (round === 0) continue;
    seal.push(s);
    sealRaw.push(sr);
    open.push(o);
    openRaw.push(or);
  }
  rows.push({
    figure: 'seal a reason (2 subjects)',
    value: median(seal),
    unit: 'µs',
    limitName: 'AES-256-GCM encrypt, fixed key',
    limit: median(sealRaw),
  });
  rows.push({
    figure: 'open a sealed reason',
    value: median(open),
    unit: 'µs',
    limitName: 'AES-256-GCM decrypt, fixed key',
    limit: median(openRaw),
  });
  // 2. Opening a pair of subjects for the first time: their keys cached, the data key derived (HKDF), as when a
  // page shows values about many different people.
  const firstOpen: number[] = [];
  const pairs = 5_000;
  for (let round = 0; round < ROUNDS + 1; round++) {
    const pairValues: SealedValue[] = [];
    const warmers: SealedValue[] = [];
    for (let i = 0; i < pairs; i++) {
      pairValues.push(await keys.seal(reasonText, ['alice', `pair-${round}-${i}`]));
      warmers.push(await keys.seal('x', [`pair-${round}-${i}`]));
    }
    const opener = new SubjectKeys(keys.storage, master);
    await opener.reveal([warmers, await keys.seal('x', ['alice'])]);
    let next = 0;
    const o = await microsPerCall(pairs, () => opener.open(pairValues[next++]!));
    if (round > 0) firstOpen.push(o);
  }
  rows.push({
    figure: 'open, first value of a subject pair',
    value: median(firstOpen),
    unit: 'µs',
    limitName: 'AES-256-GCM decrypt, fixed key',
    limit: median(openRaw),
  });
  notes.push(
    `sealed value: ${JSON.stringify(sealed).length} bytes of JSON for a ${reasonText.length}-character reason (${(JSON.stringify(sealed).length / JSON.stringify(reasonText).length).toFixed(1)}x)`,
  );

  // 2. Replay: the same generated history, its reason, ip and user agent sealed in one store and clear in the other.
  const stores = new Map<'clear' | 'sealed', SqliteEventStore>();
  for (const kind of ['clear', 'sealed'] as const) {
    const store = new SqliteEventStore(join(dir, `privacy-${kind}.db`));
    const started = performance.now();
    await generateHistory(withPersonalFields(store, kind === 'sealed' ? keys : undefined), {
      totalEvents: EVENTS,
      eventsPerTeam: 5000,
    });
    log(
      `privacy bench: ${kind} history of ${EVENTS.toLocaleString('en-US')} events written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    stores.set(kind, store);
  }
  const replayRates = { clear: [] as number[], sealed: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? (['clear', 'sealed'] as const) : (['sealed', 'clear'] as const)) {
      const db = openReadModelDatabase(join(dir, `privacy-read-models-${kind}-${round}.db`), { scratch: true });
      const result = await rebuildReadModels(stores.get(kind)!, db);
      db.close();
      // A quarantined team would be skipped, not applied: the comparison would flatter that side.
      if (result.quarantined.length) throw new Error(`${kind} replay quarantined ${result.quarantined.length} team(s)`);
      replayRates[kind].push(result.eventsPerSecond);
      log(
        `privacy bench: replay round ${round + 1} ${kind}: ${Math.round(result.eventsPerSecond).toLocaleString('en-US')} events/s`,
      );
    }
  }
  rows.push({
    figure: `replay, personal fields sealed (${EVENTS.toLocaleString('en-US')} events)`,
    value: median(replayRates.sealed),
    unit: 'events/s',
    limitName: 'the same history in clear',
    limit: median(replayRates.clear),
  });
  notes.push(
    `replay rounds (events/s): clear ${replayRates.clear.map(Math.round).join(', ')}; sealed ${replayRates.sealed.map(Math.round).join(', ')}`,
  );
  for (const store of stores.values()) await store.close();

  // 3. Commands: the same command path with and without a sealer, on one SQLite file, in alternating chunks.
  const commandStore = new SqliteEventStore(join(dir, 'privacy-commands.db'));
  const paths = {
    clear: new TeamCommands({ store: commandStore, locks: new StreamLocks(), now: () => new Date() }),
    sealed: new TeamCommands({
      store: commandStore,
      locks: new StreamLocks(),
      now: () => new Date(),
      personalData: keys,
    }),
  };
  const context = (actorId: string) => ({
    actorId,
    correlationId: 'bench',
    reason: reasonText,
    requestContext: { ip, userAgent, requestId: 'bench' },
  });
  for (const kind of ['clear', 'sealed'] as const) {
    const teamId = `commands-${kind}`;
    const created = await paths[kind].issue(
      { type: 'CreateTeam', teamId, data: { name: 'Bench', plan: 'enterprise' } },
      context('olga'),
    );
    if (!created.ok) throw new Error('the bench team was refused');
    await paths[kind].issue({ type: 'AddMember', teamId, data: { userId: 'bob', role: 'member' } }, context('olga'));
  }
  const times = { clear: [] as number[], sealed: [] as number[] };
  let flip = 0;
  const one = async (kind: 'clear' | 'sealed'): Promise<number> => {
    const role = flip++ % 2 === 0 ? 'developer' : 'member';
    const started = performance.now();
    const outcome = await paths[kind].issue(
      { type: 'ChangeTeamRole', teamId: `commands-${kind}`, data: { userId: 'bob', role } },
      context('olga'),
    );
    if (!outcome.ok) throw new Error(`command refused: ${JSON.stringify(outcome)}`);
    return performance.now() - started;
  };
  for (let chunk = 0; chunk < 2 * ROUNDS + 2; chunk++) {
    for (const kind of chunk % 2 === 0 ? (['clear', 'sealed'] as const) : (['sealed', 'clear'] as const)) {
      for (let i = 0; i < 250; i++) {
        const ms = await one(kind);
        // The first two chunks warm the JIT, the state cache and the key cache.
        if (chunk >= 2) times[kind].push(ms);
      }
    }
  }
  // Each side stored what it says: sealed values on one, clear text on the other.
  for (const kind of ['clear', 'sealed'] as const) {
    const [last] = (await commandStore.readStream(teamStreamId(`commands-${kind}`))).slice(-1);
    const stored = [(last!.data as { reason?: unknown }).reason, last!.metadata.requestContext?.ip];
    if (!stored.every((value) => isSealedValue(value) === (kind === 'sealed')))
      throw new Error(`the ${kind} commands stored ${JSON.stringify(stored)}`);
  }
  await commandStore.close();
  for (const kind of ['clear', 'sealed'] as const) times[kind].sort((a, b) => a - b);
  const at = (samples: number[], p: number) =>
    samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
  for (const p of [50, 99]) {
    rows.push({
      figure: `command p${p}, reason/ip/userAgent sealed`,
      value: at(times.sealed, p),
      unit: 'ms',
      limitName: `command p${p} in clear`,
      limit: at(times.clear, p),
    });
  }
  notes.push(`commands: ${times.clear.length} per side, durable SQLite appends, alternating chunks of 250`);
  await keys.storage.close();
}
