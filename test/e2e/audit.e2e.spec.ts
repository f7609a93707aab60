import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { auditStreamId, type AuditEntry } from '@access-audit/audit';
import { removeTranspiledSources, runSourceFile } from '../../libs/audit/src/testing/transpiled-child';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

/**
 * The audit log over HTTP, on the real app and the SQLite store: a realistic sequence of access changes and refusals,
 * who may read the log, queries, the compliance summary, exports, and offline verification with the CLI.
 */
describe('audit log (e2e)', () => {
  let api: TestApi;
  let alice: UserClient;
  let sec: UserClient;
  let dev: UserClient;
  let auditor: UserClient;
  let carol: UserClient;
  let lastPosition: string;
  let work: string;

  const command = async (request: ReturnType<UserClient['post']>, status = 200): Promise<void> => {
    const response = await request.expect(status);
    lastPosition = response.body.position as string;
  };
  const entriesOf = (body: { entries: AuditEntry[] }) => body.entries;

  beforeAll(async () => {
    api = await startTestApi();
    work = mkdtempSync(join(tmpdir(), 'audit-e2e-'));
    alice = await api.as('alice');
    sec = await api.as('sec');
    dev = await api.as('dev');
    auditor = await api.as('auditor');
    carol = await api.as('carol');

    await command(alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }), 201);
    await command(
      alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'owner', reason: 'second owner, per "policy"' }),
      201,
    );
    await command(alice.post('/v1/teams/acme/members', { userId: 'sec', role: 'security' }), 201);
    await command(
      alice.post('/v1/teams/acme/members', { userId: 'dev', role: 'developer', reason: 'hired\nteam: payments' }),
      201,
    );
    await command(
      alice.post('/v1/teams/acme/members', { userId: 'auditor', role: 'viewer', reason: 'external audit, Q1' }),
      201,
    );
    await command(
      alice.put('/v1/teams/acme/members/dev/permission-groups/full_production_deployment', { reason: 'on call' }),
    );
    await command(alice.post('/v1/teams/acme/projects', { id: 'web', name: 'Web' }), 201);
    await command(alice.post('/v1/teams/acme/members', { userId: 'carol', role: 'contributor' }), 201);
    await command(alice.put('/v1/teams/acme/projects/web/members/carol', { role: 'project_developer' }));
    await command(
      sec.patch('/v1/teams/acme/projects/web/security', { firewall: { enabled: true }, reason: 'incident 42' }),
    );
    // Refused: a developer promoting themself, a contributor inviting. Neither touches the team stream.
    await api.expectNothingAppended('acme', async () => {
      const refused = await dev.put('/v1/teams/acme/members/dev/role', { role: 'owner', reason: 'let me in' });
      expectProblem(refused, 403, { permission: 'team.members.roles.manage' });
      expectProblem(await carol.post('/v1/teams/acme/members', { userId: 'mallory', role: 'member' }), 403);
    });
    await command(alice.delete('/v1/teams/acme/members/carol'));
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    rmSync(work, { recursive: true, force: true });
    removeTranspiledSources();
  });

  it('records one entry per access event and each refusal, readable in order once minPosition is indexed', async () => {
    const response = await auditor.get(`/v1/teams/acme/audit?minPosition=${lastPosition}&limit=1000`).expect(200);
    expect(response.headers['x-position']).toBe(lastPosition);
    const entries = entriesOf(response.body);
    const teamEvents = await api.teamEvents('acme');
    expect(entries.filter((e) => e.kind === 'change').map((e) => e.kind === 'change' && e.source.eventId)).toEqual(
      teamEvents.map((e) => e.id),
    );
    expect(entries.map((e) => e.sequence)).toEqual(entries.map((_, index) => index + 1));
    const promotion = entries.find((e) => e.kind === 'denial' && e.actor === 'dev');
    expect(promotion).toMatchObject({
      action: 'access.denied',
      target: { userId: 'dev' },
      reason: 'let me in',
      context: { ip: expect.any(String), requestId: expect.any(String) },
      denial: { commandType: 'ChangeTeamRole', rejection: 'forbidden', permission: 'team.members.roles.manage' },
    });
    const firewall = entries.find((e) => e.action === 'project.security.firewall.updated');
    expect(firewall).toMatchObject({
      actor: 'sec',
      target: { projectId: 'web', setting: 'firewall' },
      before: { enabled: false },
      after: { enabled: true },
      reason: 'incident 42',
      policyVersion: expect.any(String),
      source: { streamId: 'team-acme', position: expect.any(String) },
    });
    // The removal's cascade is its own entry, naming its cause.
    expect(entries.find((e) => e.action === 'project.member.role.revoked')).toMatchObject({
      target: { userId: 'carol', projectId: 'web' },
      cause: { type: 'MemberRemoved', userId: 'carol' },
    });
  });

  it('lets only team.audit.view read it: not a developer, not an access:read machine token', async () => {
    expectProblem(await dev.get('/v1/teams/acme/audit'), 403, { permission: 'team.audit.view' });
    const machine = await api.as('indexer', { scopes: ['access:read'] });
    expectProblem(await machine.get('/v1/teams/acme/audit'), 403, { permission: 'team.audit.view' });
    expectProblem(await machine.get('/v1/teams/acme/audit/verify'), 403, { permission: 'team.audit.view' });
    await sec.get('/v1/teams/acme/audit/summary').expect(200);
    expectProblem(await alice.get('/v1/teams/nowhere/audit'), 404, { rule: 'team.exists' });
    expectProblem(await api.http().get('/v1/teams/acme/audit'), 401);
  });

  it('filters by actor, subject, project and type, and pages with a cursor', async () => {
    const bySubject = entriesOf((await auditor.get('/v1/teams/acme/audit?subject=carol').expect(200)).body);
    expect(bySubject.map((e) => e.action)).toEqual([
      'team.member.added',
      'project.member.role.assigned',
      'team.member.removed',
      'project.member.role.revoked',
    ]);
    expect(
      entriesOf((await auditor.get('/v1/teams/acme/audit?actor=sec&type=project.security').expect(200)).body),
    ).toHaveLength(1);
    expect(
      entriesOf((await auditor.get('/v1/teams/acme/audit?projectId=web&type=project.member').expect(200)).body),
    ).toHaveLength(2);
    expect(
      entriesOf((await auditor.get('/v1/teams/acme/audit?type=access.denied').expect(200)).body).map((e) => e.actor),
    ).toEqual(['dev', 'carol']);
    const all = entriesOf((await auditor.get('/v1/teams/acme/audit?limit=1000').expect(200)).body);
    const paged: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `limit=4&cursor=${encodeURIComponent(cursor)}` : 'limit=4';
      const page = await auditor.get(`/v1/teams/acme/audit?${query}`).expect(200);
      paged.push(...entriesOf(page.body).map((e) => e.sequence));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(paged).toEqual(all.map((e) => e.sequence));
    expectProblem(await auditor.get('/v1/teams/acme/audit?cursor=nonsense'), 400);
    expectProblem(await auditor.get('/v1/teams/acme/audit?format=xml'), 400);
    // ISO-8601 week dates and the basic format pass as ISO-8601 but have no place on the time line: 400, not 500.
    expectProblem(await auditor.get('/v1/teams/acme/audit?from=2026-W10'), 400, {
      errors: [expect.objectContaining({ field: 'from' })],
    });
    expectProblem(await auditor.get('/v1/teams/acme/audit/summary?to=20261231T235959Z'), 400, {
      errors: [expect.objectContaining({ field: 'to' })],
    });
  });

  it('summarises the window: changes by type and actor, privileged grants, denials, findings', async () => {
    const summary = (await auditor.get(`/v1/teams/acme/audit/summary?minPosition=${lastPosition}`).expect(200)).body;
    expect(summary.changes.byActor).toMatchObject({ alice: expect.any(Number), sec: 1 });
    expect(summary.changes.byType['team.member.added']).toBe(5);
    expect(summary.privilegedGrants.map((g: { userId: string; value: string }) => `${g.userId}:${g.value}`)).toEqual([
      'alice:owner',
      'bob:owner',
      'sec:security',
      'dev:full_production_deployment',
    ]);
    expect(summary.deniedAttempts).toMatchObject({ total: 2, byActor: { dev: 1, carol: 1 } });
    expect(summary.findings).toEqual([]);
  });

  it('verifies the chain on the server', async () => {
    expect((await auditor.get('/v1/teams/acme/audit/verify').expect(200)).body).toMatchObject({
      teamId: 'acme',
      valid: true,
      entries: expect.any(Number),
      head: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('exports NDJSON that the CLI verifies offline, and fails at the line that was edited', async () => {
    const publicKey = await api.http().get('/v1/audit/public-key').expect(200);
    expect(publicKey.text).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const keyFile = join(work, 'audit-public-key.pem');
    writeFileSync(keyFile, publicKey.text);

    const exported = await auditor.get('/v1/teams/acme/audit?format=ndjson').buffer(true).parse(textParser).expect(200);
    expect(exported.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const exportFile = join(work, 'acme.ndjson');
    writeFileSync(exportFile, exported.body as string);
    const lines = (exported.body as string).trimEnd().split('\n');
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ kind: 'checkpoint' });

    const ok = await runSourceFile('apps/cli/src/main.ts', ['audit:verify', exportFile, '--public-key', keyFile]);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toMatch(/^valid: \d+ entries of team acme/);

    // The line carries the sealed reason its hash covers, and the opened text beside it (`revealed`).
    const lineNumber =
      lines.findIndex(
        (line) => (JSON.parse(line) as { revealed?: Record<string, string> }).revealed?.['/reason'] === 'incident 42',
      ) + 1;
    expect(lineNumber).toBeGreaterThan(0);
    expect(lines[lineNumber - 1]).not.toContain('"reason":"incident 42"');
    const edited = [...lines];
    const alteredLine = JSON.parse(edited[lineNumber - 1]!) as Record<string, unknown>;
    edited[lineNumber - 1] = JSON.stringify({ ...alteredLine, reason: 'routine' });
    const editedFile = join(work, 'acme-edited.ndjson');
    writeFileSync(editedFile, `${edited.join('\n')}\n`);
    const failed = await runSourceFile('apps/cli/src/main.ts', ['audit:verify', editedFile, '--public-key', keyFile]);
    const sequence = (JSON.parse(lines[lineNumber - 1]!) as AuditEntry).sequence;
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`breaks at entry ${sequence} (line ${lineNumber}`);
    expect(failed.stderr).toMatch(/altered/);
  }, 30_000);

  it('exports CSV that a CSV parser reads back, reasons with commas, quotes and newlines intact', async () => {
    const csv = await auditor.get('/v1/teams/acme/audit?format=csv').buffer(true).parse(textParser).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parse(csv.body as string, { columns: true }) as Array<Record<string, string>>;
    const json = entriesOf((await auditor.get('/v1/teams/acme/audit?limit=1000').expect(200)).body);
    expect(rows.map((r) => r.id)).toEqual(json.map((e) => e.id));
    expect(rows.map((r) => r.reason)).toEqual(json.map((e) => e.reason ?? ''));
    expect(rows.map((r) => r.reason)).toEqual(
      expect.arrayContaining(['second owner, per "policy"', 'hired\nteam: payments']),
    );
  });

  it('names, through verify, the entry whose row was edited in the SQLite file', async () => {
    const db = new Database(join(api.config.dataDir, 'events.db'));
    try {
      const rows = db
        .prepare<[string], { position: number; data: string }>(
          'SELECT position, data FROM events WHERE stream_id = ? ORDER BY revision',
        )
        .all(auditStreamId('acme'));
      const target = rows.find((row) => row.data.includes('"action":"team.member.permission_group.granted"'))!;
      const entry = JSON.parse(target.data) as AuditEntry;
      // The reason is stored sealed: replacing it (by clear text here) is the edit the hash must catch.
      expect(entry.reason).toMatchObject({ $sealed: 1 });
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
        JSON.stringify({ ...entry, reason: 'on cal!' }),
        target.position,
      );
      const verification = (await auditor.get('/v1/teams/acme/audit/verify').expect(200)).body;
      expect(verification).toMatchObject({
        valid: false,
        break: { sequence: entry.sequence, entryId: entry.id, record: 'entry' },
      });
    } finally {
      db.close();
    }
  });
});

/** Buffers a streamed answer (NDJSON, CSV) as text. */
const textParser: Parameters<ReturnType<UserClient['get']>['parse']>[0] = (response, callback) => {
  const stream = response as unknown as NodeJS.ReadableStream;
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  stream.on('end', () => callback(null, text));
};
