import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readPublicKey, verifyNdjson } from '@access-audit/audit';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { openReadModelDatabase, verifyReadModels } from '@access-audit/projections';
import Database from 'better-sqlite3';
import type request from 'supertest';
import { command as auditVerify } from '../../apps/cli/src/commands/audit-verify';
import { command as drainVerify } from '../../apps/cli/src/commands/drain-verify';
import { TestReceiver } from '../../libs/audit/src/drains/testing/receiver';
import { command as replay } from '../../apps/cli/src/commands/replay';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

/**
 * Crypto-shredding, proven on the real app and its files: carol's address, browser, the reasons and justifications
 * written about her access and the texts she wrote are gone from every answer, export, evidence, feed and log line
 * and from every byte of the data dir once she is erased, while every chain verifies, every read model replays and
 * who granted what to whom stays provable under her id. Other people's values stay readable.
 */
const erased = '[erased]';
const carolContext = { ip: '192.0.2.77', userAgent: 'Mozilla/5.0 (iPhone) CarolSafari/18.2 carol-ua-7731' };
/** Every personal value of carol's, or about her access: none may survive her erasure anywhere. */
const carolValues = [
  carolContext.ip,
  'carol-ua-7731',
  'contractor Carol Danvers from Initech',
  'web relaunch with Carol Danvers',
  'Carol Danvers invites Mallory Quinn',
  'Carol Danvers left Initech',
  'Carol Danvers stays a contributor',
  'Carol Danvers hires Dana Scully',
  'laptop runner of Carol Danvers',
  'Carol Danvers contract ended',
  'Carol Danvers connects Okta',
  'carol.danvers@carolco.test',
  'Captain Carol Danvers',
];
/** Kept in the team's state only (no answer shows a bypass token's note): looked for in the files, not the answers. */
const storedOnly = new Set(['laptop runner of Carol Danvers', 'runner note by Samir Okafor']);
const shown = (values: readonly string[]) => values.filter((value) => !storedOnly.has(value));
/** Other people's values, about other people's access: still readable after carol's erasure. */
const keptValues = ['hired Samir Okafor for security', 'Rita Ng still audits Q2', 'runner note by Samir Okafor'];
const contexts = {
  alice: { ip: '203.0.113.10', userAgent: 'Mozilla/5.0 (Macintosh) AliceBrowser/17.1' },
  bob: { ip: '203.0.113.20', userAgent: 'Mozilla/5.0 (X11; Linux) BobFox/128.0' },
  sec: { ip: '198.51.100.30', userAgent: 'curl/8.5.0 sec-oncall' },
  rita: { ip: '192.0.2.60', userAgent: 'Mozilla/5.0 (Macintosh) RitaReviewer/3.0' },
  carol: carolContext,
};
type Person = keyof typeof contexts;
type Client = { [K in keyof UserClient]: (path: string, body?: object) => request.Test };

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every file under `dir`, as bytes. */
function rawFiles(dir: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, bytes: readFileSync(path) }));
}

/** Which of `values` some file holds (as UTF-8 or UTF-16), and where. */
function foundIn(files: Array<{ path: string; bytes: Buffer }>, values: readonly string[]): string[] {
  const hits: string[] = [];
  for (const value of values) {
    for (const { path, bytes } of files) {
      if (bytes.includes(Buffer.from(value, 'utf8')) || bytes.includes(Buffer.from(value, 'utf16le')))
        hits.push(`${value} in ${path}`);
    }
  }
  return hits;
}

describe('erasure of a subject (crypto-shredding), proven on the files', () => {
  let dataDir: string;
  let api: TestApi;
  let reviewId: string;
  let directory: { directoryId: string; token: string };
  const scim = (method: 'get' | 'post', path: string, body?: object) => {
    const http = api.http();
    const test = http[method](`/scim/v2/${directory.directoryId}${path}`)
      .set('Authorization', `Bearer ${directory.token}`)
      .set('Content-Type', 'application/scim+json');
    return body === undefined ? test : test.send(JSON.stringify(body));
  };
  const logged: string[] = [];
  /** Carol's team's audit drain: a receiver before the erasure, another one added after it. */
  const receivers: TestReceiver[] = [];
  const allowedDrainHosts = process.env.DRAIN_ALLOW_HOSTS;
  /** Adds a drain on carolco delivering to a new receiver; resolves once it delivered the team's whole log. */
  const drainCarolco = async (): Promise<{ receiver: TestReceiver; secret: string }> => {
    const receiver = await TestReceiver.start();
    receivers.push(receiver);
    // Carolco's security engineer, not carol: after her erasure she does not act again here.
    const sec = await client('sec');
    const added = await sec
      .post('/v1/teams/carolco/audit/drains', { url: receiver.url, description: 'SIEM' })
      .expect(201);
    const head = (await sec.get('/v1/teams/carolco/audit/verify').expect(200)).body.entries as number;
    await waitFor(async () => {
      const drains = (await sec.get('/v1/teams/carolco/audit/drains').expect(200)).body.drains as Array<{
        drainId: string;
        deliveredThrough: number;
      }>;
      return drains.some((drain) => drain.drainId === added.body.drainId && drain.deliveredThrough >= head);
    }, 15_000);
    return { receiver, secret: added.body.secret as string };
  };
  let firstDrain: { receiver: TestReceiver; secret: string };
  let carolWrappedKeys: string[] = [];
  const teams = ['acme', 'carolco'];
  const teamRevisions = () => Promise.all(teams.map((teamId) => api.teamRevision(teamId)));

  const client = async (person: Person): Promise<Client> => {
    const user = await api.as(person);
    const dress = (test: request.Test) =>
      test.set('X-Forwarded-For', contexts[person].ip).set('User-Agent', contexts[person].userAgent);
    return {
      get: (path) => dress(user.get(path)),
      post: (path, body) => dress(user.post(path, body)),
      put: (path, body) => dress(user.put(path, body)),
      patch: (path, body) => dress(user.patch(path, body)),
      delete: (path, body) => dress(user.delete(path, body)),
    };
  };
  const start = async () => {
    api = await startTestApi({ dataDir, env: { TRUST_PROXY: 'true' } });
  };
  const operator = () => api.as('privacy-officer', { scopes: ['privacy:erase'] });
  const erase = async (userId: string, status = 200) =>
    (await operator())
      .post(`/v1/subjects/${encodeURIComponent(userId)}/erasure`, {
        reason: 'termination request, ticket 4711',
      })
      .expect(status);

  /** Every surface that shows personal fields, as text: answers, exports, evidence, feed, campaign. */
  const surfaces = async (): Promise<Record<string, string>> => {
    const alice = await client('alice');
    const carol = await client('carol');
    const review = `/v1/teams/acme/access-reviews/${reviewId}`;
    const texts: Record<string, string> = {};
    const read = async (name: string, who: Client, path: string) => {
      texts[name] = (await who.get(path).expect(200)).text;
    };
    await read('acme history of carol', alice, '/v1/teams/acme/members/carol/history');
    await read('acme team view', alice, '/v1/teams/acme');
    await read('acme audit json', alice, '/v1/teams/acme/audit?limit=1000');
    await read('acme audit ndjson', alice, '/v1/teams/acme/audit?format=ndjson');
    await read('acme audit csv', alice, '/v1/teams/acme/audit?format=csv');
    await read('acme change feed', alice, '/v1/changes?teamId=acme');
    await read('acme campaign', alice, review);
    await read('acme evidence json', alice, `${review}/evidence?format=json`);
    await read('acme evidence csv', alice, `${review}/evidence?format=csv`);
    // Carol's own team: an owner of it answers (carol herself, the only owner).
    await read('carolco team view', carol, '/v1/teams/carolco');
    await read('carolco audit json', carol, '/v1/teams/carolco/audit?limit=1000');
    await read('carolco audit ndjson', carol, '/v1/teams/carolco/audit?format=ndjson');
    await read('carolco audit csv', carol, '/v1/teams/carolco/audit?format=csv');
    await read('carolco history of dana', carol, '/v1/teams/carolco/members/dana/history');
    await read('carolco change feed', carol, '/v1/changes?teamId=carolco');
    texts['carolco SCIM users'] = (await scim('get', '/Users').expect(200)).text;
    return texts;
  };
  const holding = (texts: Record<string, string>, values: readonly string[]) =>
    Object.entries(texts).flatMap(([surface, text]) =>
      values.filter((value) => text.includes(value)).map((value) => `${value} in ${surface}`),
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'erasure-proof-'));
    process.env.DRAIN_ALLOW_HOSTS = '127.0.0.1';
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
      jest.spyOn(stream, 'write').mockImplementation((chunk: unknown, ...rest: unknown[]) => {
        logged.push(String(chunk));
        return write(chunk, ...rest);
      });
    }
    await start();
    const alice = await client('alice');
    const bob = await client('bob');
    const sec = await client('sec');
    const rita = await client('rita');
    const carol = await client('carol');
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'owner', reason: 'second owner' }).expect(201);
    await alice
      .post('/v1/teams/acme/members', { userId: 'sec', role: 'security', reason: 'hired Samir Okafor for security' })
      .expect(201);
    await alice
      .post('/v1/teams/acme/members', { userId: 'rita', role: 'viewer', reason: 'internal auditor' })
      .expect(201);
    await alice.post('/v1/teams/acme/projects', { id: 'web', name: 'Web' }).expect(201);
    await alice
      .post('/v1/teams/acme/members', {
        userId: 'carol',
        role: 'contributor',
        reason: 'contractor Carol Danvers from Initech',
      })
      .expect(201);
    await bob
      .put('/v1/teams/acme/projects/web/members/carol', {
        role: 'project_developer',
        reason: 'web relaunch with Carol Danvers',
      })
      .expect(200);
    await alice
      .post('/v1/teams/acme/members', { userId: 'constructor', role: 'viewer', reason: 'a user named like a property' })
      .expect(201);
    await sec
      .post('/v1/teams/acme/projects/web/security/bypass-tokens', {
        tokenId: 'tok_sec',
        fingerprint: 'sha256:51ec',
        note: 'runner note by Samir Okafor',
      })
      .expect(201);
    // Refused: carol, a contributor, inviting. Her attempt is a denial entry with her address and her text.
    expectProblem(
      await carol.post('/v1/teams/acme/members', {
        userId: 'mallory',
        role: 'member',
        reason: 'Carol Danvers invites Mallory Quinn',
      }),
      403,
    );
    const opened = await alice
      .post('/v1/teams/acme/access-reviews', {
        name: 'Q1 access review',
        reviewerIds: ['rita', 'bob'],
        dueAt: '2030-03-31T00:00:00.000Z',
      })
      .expect(201);
    reviewId = opened.body.reviewId as string;
    const review = `/v1/teams/acme/access-reviews/${reviewId}`;
    const items = (await rita.get(review).expect(200)).body.items as Array<{ itemId: string }>;
    const decide = (who: Client, itemId: string, decision: 'keep' | 'revoke', justification: string) =>
      who.post(`${review}/items/${encodeURIComponent(itemId)}/decision`, { decision, justification }).expect(201);
    for (const { itemId } of items) {
      if (itemId === 'team_role:rita') await decide(bob, itemId, 'keep', 'Rita Ng still audits Q2');
      else if (itemId === 'project_role:carol:web') await decide(rita, itemId, 'revoke', 'Carol Danvers left Initech');
      else if (itemId === 'team_role:carol') await decide(rita, itemId, 'keep', 'Carol Danvers stays a contributor');
      else await decide(rita, itemId, 'keep', `still needed: ${itemId}`);
    }
    await alice.post(`${review}/complete`, {}).expect(200);
    // Carol's own team: everything in it she wrote.
    await carol.post('/v1/teams', { id: 'carolco', name: 'Carolco', plan: 'enterprise' }).expect(201);
    await carol
      .post('/v1/teams/carolco/members', { userId: 'dana', role: 'member', reason: 'Carol Danvers hires Dana Scully' })
      .expect(201);
    await carol.post('/v1/teams/carolco/members', { userId: 'sec', role: 'security' }).expect(201);
    await carol.post('/v1/teams/carolco/projects', { id: 'site', name: 'Site' }).expect(201);
    await carol
      .post('/v1/teams/carolco/projects/site/security/bypass-tokens', {
        tokenId: 'tok_carol',
        note: 'laptop runner of Carol Danvers',
      })
      .expect(201);
    // Carolco's directory knows carol by name and e-mail address.
    const connected = await carol
      .put('/v1/teams/carolco/directory-sync', { name: 'Okta', reason: 'Carol Danvers connects Okta' })
      .expect(200);
    directory = connected.body as { directoryId: string; token: string };
    await scim('post', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'carol.danvers@carolco.test',
      externalId: 'carol',
      displayName: 'Captain Carol Danvers',
      emails: [{ value: 'carol.danvers@carolco.test', primary: true }],
    }).expect(201);
    await bob.delete('/v1/teams/acme/members/carol', { reason: 'Carol Danvers contract ended' }).expect(200);
    firstDrain = await drainCarolco();
  }, 60_000);

  afterAll(async () => {
    jest.restoreAllMocks();
    await api?.close();
    for (const receiver of receivers) await receiver.close();
    if (allowedDrainHosts === undefined) delete process.env.DRAIN_ALLOW_HOSTS;
    else process.env.DRAIN_ALLOW_HOSTS = allowedDrainHosts;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('before erasure: every value reads in clear where it is shown, yet no file holds it in clear', async () => {
    await waitFor(async () => holding(await surfaces(), shown(carolValues)).length >= shown(carolValues).length);
    const texts = await surfaces();
    for (const value of shown([...carolValues, ...keptValues]))
      expect({ value, shown: holding(texts, [value]).length > 0 }).toEqual({ value, shown: true });
    expect(foundIn(rawFiles(dataDir), [...carolValues, ...keptValues])).toEqual([]);
    // Carol's subject key as stored (wrapped under the master key, which DATA_DIR also holds): looked for after.
    const keys = new Database(join(dataDir, 'subject-keys.db'), { readonly: true });
    try {
      carolWrappedKeys = (
        keys.prepare('SELECT wrapped FROM subject_keys WHERE subject = ?').all('carol') as Array<{ wrapped: string }>
      ).map((row) => row.wrapped);
    } finally {
      keys.close();
    }
    expect(carolWrappedKeys).toHaveLength(1);
    expect(foundIn(rawFiles(dataDir), carolWrappedKeys)).not.toEqual([]);
    // The search does find what is stored in clear: ids and names of teams.
    expect(foundIn(rawFiles(dataDir), ['Carolco', 'constructor'])).not.toEqual([]);
  });

  it('refuses a token without privacy:erase (403 naming it), appending nothing', async () => {
    const before = await teamRevisions();
    const alice = await api.as('alice');
    expectProblem(await alice.post('/v1/subjects/carol/erasure', { reason: 'not mine to do' }), 403, {
      permission: 'privacy:erase',
    });
    expect(await teamRevisions()).toEqual(before);
  });

  it('erases carol: one erasure event in each team she belonged to, and it says which', async () => {
    const before = await teamRevisions();
    const answer = await erase('carol');
    expect(JSON.stringify(answer.body)).toContain('acme');
    expect(JSON.stringify(answer.body)).toContain('carolco');
    expect(await teamRevisions()).toEqual(before.map((revision) => revision + 1));
    for (const teamId of teams) {
      const [last] = (await api.teamEvents(teamId)).slice(-1);
      expect(last!.type).toMatch(/Erased/);
      expect(JSON.stringify(last!.data)).toContain('carol');
      expect(JSON.stringify(last)).not.toContain('ticket 4711');
    }
  });

  it('after erasure: every answer, export, evidence and feed shows "[erased]" for her values, the others in clear', async () => {
    const texts = await surfaces();
    expect(holding(texts, carolValues)).toEqual([]);
    for (const name of [
      'acme history of carol',
      'acme audit json',
      'acme audit ndjson',
      'acme audit csv',
      'acme campaign',
      'acme evidence json',
      'acme evidence csv',
      'carolco audit json',
      'carolco audit ndjson',
      'carolco audit csv',
      'carolco history of dana',
      'carolco SCIM users',
      'acme change feed',
      'carolco change feed',
    ])
      expect({ name, erased: texts[name]!.includes(erased) }).toEqual({ name, erased: true });
    for (const value of shown(keptValues))
      expect({ value, shown: holding(texts, [value]).length > 0 }).toEqual({ value, shown: true });
    // Other people's request contexts too.
    for (const value of [contexts.alice.userAgent, contexts.rita.ip, contexts.sec.ip])
      expect({ value, shown: holding(texts, [value]).length > 0 }).toEqual({ value, shown: true });
  });

  it('who granted what to whom and when stays provable under her id', async () => {
    const alice = await client('alice');
    const history = (await alice.get('/v1/teams/acme/members/carol/history').expect(200)).body as {
      history?: Array<Record<string, unknown>>;
    };
    const rows = JSON.stringify(history);
    expect(rows).toContain('"actorId":"alice"');
    expect(rows).toContain('"actorId":"bob"');
    const audit = (await alice.get('/v1/teams/acme/audit?subject=carol&limit=1000').expect(200)).body as {
      entries: Array<{ actor: string; action: string; time: string; target: { userId?: string }; reason: unknown }>;
    };
    const facts = audit.entries.map((entry) => [entry.actor, entry.action, entry.target.userId]);
    expect(facts).toEqual(
      expect.arrayContaining([
        ['alice', 'team.member.added', 'carol'],
        ['bob', expect.stringMatching(/^project\.member/), 'carol'],
        ['bob', 'team.member.removed', 'carol'],
      ]),
    );
    expect(audit.entries.every((entry) => Date.parse(entry.time) > 0)).toBe(true);
    const about = audit.entries.find((entry) => entry.action === 'team.member.added')!;
    expect(about.reason).toBe(erased);
  });

  it('every chain verifies: audit/verify, and each NDJSON export on its own', async () => {
    const alice = await client('alice');
    const carol = await client('carol');
    const publicKey = readPublicKey((await alice.get('/v1/audit/public-key').expect(200)).text);
    for (const [teamId, who] of [
      ['acme', alice],
      ['carolco', carol],
    ] as const) {
      expect((await who.get(`/v1/teams/${teamId}/audit/verify`).expect(200)).body).toMatchObject({ valid: true });
      const exported = (await who.get(`/v1/teams/${teamId}/audit?format=ndjson`).expect(200)).text;
      const verification = await verifyNdjson(Readable.from([exported]), publicKey, { sources: api.store });
      expect({ teamId, valid: verification.valid, break: verification.break ?? null }).toEqual({
        teamId,
        valid: true,
        break: null,
      });
    }
  });

  it('drain batches: before the erasure they held her values; a drain added after it gets "[erased]", and both verify', async () => {
    const before = firstDrain.receiver.stored.map((delivery) => delivery.body).join('');
    expect(holding({ before }, ['Carol Danvers hires Dana Scully', carolContext.ip])).toHaveLength(2);
    const after = await drainCarolco();
    const delivered = after.receiver.stored.map((delivery) => delivery.body).join('');
    expect(holding({ delivered }, carolValues)).toEqual([]);
    expect(delivered).toContain(erased);
    const publicKey = readPublicKey((await api.http().get('/v1/audit/public-key').expect(200)).text);
    const keyFile = join(dataDir, 'drain-public-key.pem');
    writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }).toString());
    for (const [name, drain] of [
      ['before', firstDrain],
      ['after', after],
    ] as const) {
      const file = join(dataDir, `deliveries-${name}.ndjson`);
      writeFileSync(file, drain.receiver.ndjson);
      const secretFile = join(dataDir, `drain-secret-${name}`);
      writeFileSync(secretFile, drain.secret);
      const exit = await drainVerify.run([file, '--public-key', keyFile, '--secret-file', secretFile]);
      expect({ name, exit }).toEqual({ name, exit: 0 });
      rmSync(file);
      rmSync(secretFile);
    }
  });

  it('erasing twice is harmless: nothing appended, answers unchanged', async () => {
    const before = await surfaces();
    const revisions = await teamRevisions();
    await erase('carol');
    expect(await teamRevisions()).toEqual(revisions);
    expect(await surfaces()).toEqual(before);
  });

  it('erases a user named like a property (constructor) and no one else', async () => {
    const alice = await client('alice');
    await erase('constructor');
    const history = (await alice.get('/v1/teams/acme/members/constructor/history').expect(200)).text;
    expect(history).not.toContain('a user named like a property');
    expect(history).toContain(erased);
    const texts = await surfaces();
    for (const value of shown(keptValues))
      expect({ value, shown: holding(texts, [value]).length > 0 }).toEqual({ value, shown: true });
    expect(holding(texts, carolValues)).toEqual([]);
  });

  it('after a restart: the values do not come back; the raw files hold none of them, nor her key', async () => {
    await api.close({ keepData: true });
    await start();
    const texts = await surfaces();
    expect(holding(texts, carolValues)).toEqual([]);
    await api.close({ keepData: true });
    expect(foundIn(rawFiles(dataDir), carolValues)).toEqual([]);
    // Key store: no key of carol's is left, in the table or in any byte of its files.
    const keys = new Database(join(dataDir, 'subject-keys.db'), { readonly: true });
    try {
      const rows = keys.prepare('SELECT * FROM subject_keys').all() as Array<Record<string, string>>;
      expect(rows.filter((row) => Object.values(row).includes('carol'))).toEqual([]);
    } finally {
      keys.close();
    }
    expect(foundIn(rawFiles(dataDir), carolWrappedKeys)).toEqual([]);
    expect(logged.filter((line) => carolValues.some((value) => line.includes(value)))).toEqual([]);
    await start();
  });

  it('offline: audit:verify on the store and on an export, and replay --verify, agree after the erasure', async () => {
    const alice = await client('alice');
    const exportFile = join(dataDir, 'acme-export.ndjson');
    writeFileSync(exportFile, (await alice.get('/v1/teams/acme/audit?format=ndjson').expect(200)).text);
    const keyFile = join(dataDir, 'audit-public-key.pem');
    writeFileSync(keyFile, (await alice.get('/v1/audit/public-key').expect(200)).text);
    await api.close({ keepData: true });
    const saved = { DATA_DIR: process.env.DATA_DIR, EVENT_STORE: process.env.EVENT_STORE };
    process.env.DATA_DIR = dataDir;
    delete process.env.EVENT_STORE;
    try {
      for (const teamId of teams)
        expect({ teamId, exit: await auditVerify.run(['--team', teamId]) }).toEqual({ teamId, exit: 0 });
      expect(await auditVerify.run([exportFile, '--public-key', keyFile])).toBe(0);
      expect(await replay.run(['--verify', '--data-dir', dataDir])).toBe(0);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    const store = new SqliteEventStore(join(dataDir, 'events.db'));
    try {
      const live = new Database(join(dataDir, 'read-models.db'), { readonly: true });
      const result = await verifyReadModels(store, live, openReadModelDatabase(':memory:'));
      live.close();
      expect(result.mismatched).toEqual([]);
    } finally {
      await store.close();
    }
    await start();
  });
});
