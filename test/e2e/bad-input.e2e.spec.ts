/**
 * Bad input over HTTP (issue 10, finding 5; API.md "HTTP conventions"): every one is a problem+json answer naming what
 * was wrong (400 with field and rule, or 405 with Allow, 414, 431), and a refused command appends nothing to the event
 * store (its head position does not move). What supertest cannot send (a NUL in the request line, two Authorization
 * headers, an oversize header) goes over a raw socket.
 */
import { connect } from 'node:net';
import { AUDIT_LOG } from '../../apps/api/src/audit/audit-log.provider';
import type { AuditLog } from '@access-audit/audit';
import { idMaxLength, itemIdMaxLength } from '../../apps/api/src/http/ids';
import { maxBodyDepth } from '../../apps/api/src/http/json-body';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  text: string;
}

const TEAM = 'acme';
const DUE = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString();

/** The 18 command routes, with path parameters that exist (so only the body decides the answer). */
const commandRoutes: Array<[method: string, path: string]> = [
  ['POST', '/v1/teams'],
  ['PATCH', `/v1/teams/${TEAM}`],
  ['PUT', `/v1/teams/${TEAM}/plan`],
  ['POST', `/v1/teams/${TEAM}/members`],
  ['PUT', `/v1/teams/${TEAM}/members/bob/role`],
  ['DELETE', `/v1/teams/${TEAM}/members/bob`],
  ['PUT', `/v1/teams/${TEAM}/members/dave/permission-groups/create_project`],
  ['DELETE', `/v1/teams/${TEAM}/members/dave/permission-groups/create_project`],
  ['POST', `/v1/teams/${TEAM}/projects`],
  ['DELETE', `/v1/teams/${TEAM}/projects/web`],
  ['PUT', `/v1/teams/${TEAM}/projects/web/members/carol`],
  ['DELETE', `/v1/teams/${TEAM}/projects/web/members/carol`],
  ['PATCH', `/v1/teams/${TEAM}/projects/web/security`],
  ['POST', `/v1/teams/${TEAM}/projects/web/security/bypass-tokens`],
  ['DELETE', `/v1/teams/${TEAM}/projects/web/security/bypass-tokens/tok_ci`],
  ['POST', `/v1/teams/${TEAM}/access-reviews`],
  ['POST', `/v1/teams/${TEAM}/access-reviews/q1/items/team_role:bob/decision`],
  ['POST', `/v1/teams/${TEAM}/access-reviews/q1/complete`],
];

/** Sends bytes as they are and reads the answer until the server closes the connection. */
function rawRequest(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const answer = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = answer.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const text = rest.join('\r\n\r\n');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, text });
    });
  });
}

describe('bad input over HTTP', () => {
  let api: TestApi;
  let alice: UserClient;
  let token: string;
  let port: number;

  /** Waits until the audit log has caught up with everything appended so far (it appends after team events). */
  const settled = async (): Promise<string | undefined> => {
    const audit = api.app.get<AuditLog>(AUDIT_LOG);
    let head = await api.store.headPosition();
    for (;;) {
      if (head !== undefined) await audit.waitUntilIndexed(head, 5000);
      const next = await api.store.headPosition();
      if (next === head) return head;
      head = next;
    }
  };

  /** Runs `action` and fails the test if the event store's head position moved meanwhile. */
  const expectNoAppend = async <T>(action: () => PromiseLike<T>): Promise<T> => {
    const before = await settled();
    const result = await action();
    expect(await api.store.headPosition()).toBe(before);
    return result;
  };

  const send = (method: string, path: string, body: string, headers: Record<string, string> = {}) => {
    const http = api.http();
    return http[method.toLowerCase() as 'post'](path)
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .set(headers)
      .send(body);
  };

  beforeAll(async () => {
    api = await startTestApi();
    alice = await api.as('alice');
    token = await api.token('alice');
    port = Number(new URL(api.baseUrl).port);
    await alice.post('/v1/teams', { id: TEAM, name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post(`/v1/teams/${TEAM}/projects`, { id: 'web', name: 'Website' }).expect(201);
    await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'bob', role: 'member' }).expect(201);
    await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'dave', role: 'developer' }).expect(201);
    await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'carol', role: 'contributor' }).expect(201);
    await alice.put(`/v1/teams/${TEAM}/projects/web/members/carol`, { role: 'project_viewer' }).expect(200);
    await alice
      .post(`/v1/teams/${TEAM}/access-reviews`, { id: 'q1', name: 'Q1', reviewerIds: ['bob'], dueAt: DUE })
      .expect(201);
  });
  afterAll(() => api.close());

  describe('bodies', () => {
    const deepExtra = (levels: number) => `{"reason":"r","extra":${'['.repeat(levels)}${']'.repeat(levels)}}`;

    it.each(commandRoutes)(
      '%s %s: an extra field nested 5,000 levels deep (under 64 KiB) is 400 maxDepth',
      async (method, path) => {
        const body = deepExtra(5000);
        expect(body.length).toBeLessThan(64 * 1024);
        const response = await expectNoAppend(() => send(method, path, body));
        expectProblem(response, 400, {
          errors: [expect.objectContaining({ field: expect.stringMatching(/^extra(\[0\])+$/), rule: 'maxDepth' })],
        });
      },
    );

    it('a deep body with an Idempotency-Key is refused the same way (the key hashes nothing recursive first)', async () => {
      const response = await expectNoAppend(() =>
        send('POST', `/v1/teams/${TEAM}/members`, deepExtra(5000), { 'Idempotency-Key': 'deep-1' }),
      );
      expectProblem(response, 400, { errors: [expect.objectContaining({ rule: 'maxDepth' })] });
    });

    it(`nesting up to ${maxBodyDepth} levels is JSON like any other; one more is refused`, async () => {
      const nested = (levels: number) =>
        `{"userId":"nest","role":"member","x":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
      // Depth counts the body itself: the deepest allowed array sits at level maxBodyDepth.
      const atLimit = await expectNoAppend(() => send('POST', `/v1/teams/${TEAM}/members`, nested(maxBodyDepth)));
      expectProblem(atLimit, 400, { errors: [expect.objectContaining({ field: 'x', rule: 'whitelistValidation' })] });
      const over = await expectNoAppend(() => send('POST', `/v1/teams/${TEAM}/members`, nested(maxBodyDepth + 1)));
      expectProblem(over, 400, { errors: [expect.objectContaining({ rule: 'maxDepth' })] });
    });

    it.each(commandRoutes)('%s %s: a JSON null body is 400 isObject', async (method, path) => {
      const response = await expectNoAppend(() => send(method, path, 'null'));
      expectProblem(response, 400, { errors: [{ field: 'body', rule: 'isObject', message: expect.any(String) }] });
    });

    it.each(['[]', '["bob"]', '"bob"', '7', 'true'])('a %s body is 400 isObject', async (body) => {
      const response = await expectNoAppend(() => send('DELETE', `/v1/teams/${TEAM}/members/bob`, body));
      expectProblem(response, 400, { errors: [{ field: 'body', rule: 'isObject', message: expect.any(String) }] });
    });

    it('a bodiless route still takes no body, or an object with a reason', async () => {
      await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'temp', role: 'developer' }).expect(201);
      await alice.put(`/v1/teams/${TEAM}/members/temp/permission-groups/create_project`).expect(200);
      await alice
        .delete(`/v1/teams/${TEAM}/members/temp/permission-groups/create_project`, { reason: 'tidy' })
        .expect(200);
      await send('DELETE', `/v1/teams/${TEAM}/members/temp`, '').expect(200);
    });

    it('invalid JSON is 400 wellFormed and the answer never quotes the body', async () => {
      const response = await expectNoAppend(() =>
        send('POST', `/v1/teams/${TEAM}/members`, '{"userId":"hunter2-secret",'),
      );
      expectProblem(response, 400, { errors: [expect.objectContaining({ field: 'body', rule: 'wellFormed' })] });
      expect(response.text).not.toContain('hunter2-secret');
    });
  });

  describe('null is not an absent value', () => {
    it('id: null creates no team and no project', async () => {
      const team = await expectNoAppend(() => alice.post('/v1/teams', { id: null, name: 'Null Co', plan: 'pro' }));
      expectProblem(team, 400, {
        errors: expect.arrayContaining([expect.objectContaining({ field: 'id', rule: 'isString' })]),
      });
      const project = await expectNoAppend(() => alice.post(`/v1/teams/${TEAM}/projects`, { id: null, name: 'Null' }));
      expectProblem(project, 400, {
        errors: expect.arrayContaining([expect.objectContaining({ field: 'id', rule: 'isString' })]),
      });
    });

    it('vercelAuthentication: null is outside its enum', async () => {
      const response = await expectNoAppend(() =>
        alice.patch(`/v1/teams/${TEAM}/projects/web/security`, {
          deploymentProtection: { vercelAuthentication: null },
        }),
      );
      expectProblem(response, 400, {
        errors: [expect.objectContaining({ field: 'deploymentProtection.vercelAuthentication', rule: 'isIn' })],
      });
    });

    it.each([
      ['reason', `/v1/teams/${TEAM}/members`, { userId: 'nora', role: 'member', reason: null }],
      ['firewall', `/v1/teams/${TEAM}/projects/web/security`, { firewall: null }],
      ['ipBlocks.add', `/v1/teams/${TEAM}/projects/web/security`, { ipBlocks: { add: null } }],
      ['fingerprint', `/v1/teams/${TEAM}/projects/web/security/bypass-tokens`, { tokenId: 'tok_n', fingerprint: null }],
      ['scope', `/v1/teams/${TEAM}/access-reviews`, { name: 'N', reviewerIds: ['bob'], dueAt: DUE, scope: null }],
    ])('%s: null is refused', async (field, path, body) => {
      const method = path.endsWith('/security') ? 'patch' : 'post';
      const response = await expectNoAppend(() => alice[method](path, body));
      expectProblem(response, 400, { errors: expect.arrayContaining([expect.objectContaining({ field })]) });
    });
  });

  describe('numbers', () => {
    const rule = (limit: unknown) => ({
      rateLimitRules: { set: [{ id: 'burst', path: '/api/*', limit, windowSeconds: 60 }] },
    });

    it.each([
      ['1e308', 1e308, 'max'],
      ['2^53+2', 2 ** 53 + 2, 'max'],
      ['0', 0, 'min'],
      ['1.5', 1.5, 'isInt'],
    ])('rate-limit limit %s is refused', async (_name, limit, failed) => {
      const response = await expectNoAppend(() => alice.patch(`/v1/teams/${TEAM}/projects/web/security`, rule(limit)));
      expectProblem(response, 400, {
        errors: expect.arrayContaining([
          expect.objectContaining({ field: 'rateLimitRules.set[0].limit', rule: failed }),
        ]),
      });
    });

    it('rate-limit limit 1,000,000,000 is accepted', async () => {
      await alice.patch(`/v1/teams/${TEAM}/projects/web/security`, rule(1_000_000_000)).expect(200);
    });

    it.each(['0x10', '%205', '1e1', '+5', '5.0', '0b101', '1000000000000000000000'])(
      'query limit=%s is not plain decimal digits: 400 isInt',
      async (limit) => {
        for (const path of [`/v1/changes?teamId=${TEAM}&limit=${limit}`, `/v1/teams/${TEAM}/audit?limit=${limit}`]) {
          expectProblem(await alice.get(path), 400, {
            errors: expect.arrayContaining([expect.objectContaining({ field: 'limit', rule: 'isInt' })]),
          });
        }
      },
    );

    it('query limit=16 is a limit', async () => {
      await alice.get(`/v1/changes?teamId=${TEAM}&limit=16`).expect(200);
      await alice.get(`/v1/teams/${TEAM}/audit?limit=16`).expect(200);
    });
  });

  describe('minPosition on the access-review reads', () => {
    it.each([
      `/v1/teams/${TEAM}/access-reviews/q1`,
      `/v1/teams/${TEAM}/access-reviews`,
      `/v1/teams/${TEAM}/access-reviews/q1/evidence`,
    ])('%s?minPosition=abc is 400 isPosition, as on every query; a real position is accepted', async (path) => {
      expectProblem(await alice.get(`${path}?minPosition=abc`), 400, {
        errors: [expect.objectContaining({ field: 'minPosition', rule: 'isPosition' })],
      });
      const head = await api.store.headPosition();
      const answer = await alice.get(`${path}?minPosition=${head}`);
      expect(answer.status).not.toBe(400);
    });
  });

  describe('prototype keys', () => {
    it.each(['prototype', '__proto__', 'constructor'])(
      'a "%s" key, at the top or nested, is an unknown field (400 whitelistValidation), never dropped',
      async (key) => {
        const top = await expectNoAppend(() =>
          send('POST', `/v1/teams/${TEAM}/members`, `{"userId":"pat","role":"member","${key}":{"x":1}}`),
        );
        expectProblem(top, 400, { errors: [expect.objectContaining({ field: key, rule: 'whitelistValidation' })] });
        const nested = await expectNoAppend(() =>
          send('PATCH', `/v1/teams/${TEAM}/projects/web/security`, `{"firewall":{"enabled":true,"${key}":{}}}`),
        );
        expectProblem(nested, 400, {
          errors: [expect.objectContaining({ field: `firewall.${key}`, rule: 'whitelistValidation' })],
        });
        expectProblem(await alice.get(`/v1/teams/${TEAM}/permissions?${key}=1`), 400, {
          errors: [expect.objectContaining({ field: key, rule: 'whitelistValidation' })],
        });
      },
    );
  });

  describe('one id length limit', () => {
    const longest = (prefix: string) => prefix + 'x'.repeat(idMaxLength - prefix.length);

    it(`a member, a project, a team, a bypass token and a campaign with ${idMaxLength}-character ids can be changed and removed`, async () => {
      const userId = longest('u');
      expect(userId).toHaveLength(idMaxLength);
      await alice.post(`/v1/teams/${TEAM}/members`, { userId, role: 'member' }).expect(201);
      await alice.put(`/v1/teams/${TEAM}/members/${userId}/role`, { role: 'developer' }).expect(200);
      await alice.put(`/v1/teams/${TEAM}/members/${userId}/permission-groups/create_project`).expect(200);
      await alice.get(`/v1/teams/${TEAM}/members/${userId}/history`).expect(200);
      await alice.delete(`/v1/teams/${TEAM}/members/${userId}`).expect(200);

      const projectId = longest('p');
      await alice.post(`/v1/teams/${TEAM}/projects`, { id: projectId, name: 'Long' }).expect(201);
      await alice.put(`/v1/teams/${TEAM}/projects/${projectId}/members/carol`, { role: 'project_admin' }).expect(200);
      await alice.delete(`/v1/teams/${TEAM}/projects/${projectId}/members/carol`).expect(200);
      const tokenId = longest('t');
      await alice.post(`/v1/teams/${TEAM}/projects/${projectId}/security/bypass-tokens`, { tokenId }).expect(201);
      await alice.delete(`/v1/teams/${TEAM}/projects/${projectId}/security/bypass-tokens/${tokenId}`).expect(200);
      await alice.delete(`/v1/teams/${TEAM}/projects/${projectId}`).expect(200);

      const teamId = longest('team');
      await alice.post('/v1/teams', { id: teamId, name: 'Long', plan: 'pro' }).expect(201);
      await alice.patch(`/v1/teams/${teamId}`, { name: 'Longer' }).expect(200);
      await alice.get(`/v1/teams/${teamId}`).expect(200);

      const reviewId = longest('r');
      await alice
        .post(`/v1/teams/${TEAM}/access-reviews`, { id: reviewId, name: 'Long', reviewerIds: ['bob'], dueAt: DUE })
        .expect(201);
      await alice.get(`/v1/teams/${TEAM}/access-reviews/${reviewId}`).expect(200);
      await alice.post(`/v1/teams/${TEAM}/access-reviews/${reviewId}/complete`).expect(200);
    });

    it(`ids of ${idMaxLength + 1} characters are refused with 400 maxLength, in a body or in a path, never 414`, async () => {
      const tooLong = 'y'.repeat(idMaxLength + 1);
      for (const [name, response] of [
        [
          'body userId',
          await expectNoAppend(() => alice.post(`/v1/teams/${TEAM}/members`, { userId: tooLong, role: 'member' })),
        ],
        ['body team id', await expectNoAppend(() => alice.post('/v1/teams', { id: tooLong, name: 'N', plan: 'pro' }))],
        ['path userId', await expectNoAppend(() => alice.delete(`/v1/teams/${TEAM}/members/${tooLong}`))],
        ['path projectId', await expectNoAppend(() => alice.delete(`/v1/teams/${TEAM}/projects/${tooLong}`))],
        ['path teamId', await alice.get(`/v1/teams/${tooLong}`)],
      ] as const) {
        expect({ name, status: response.status }).toEqual({ name, status: 400 });
        expectProblem(response, 400, {
          errors: expect.arrayContaining([expect.objectContaining({ rule: 'maxLength' })]),
        });
      }
    });

    it(`a path segment longer than any id (${itemIdMaxLength}, an access-review item id) is 414 problem+json`, async () => {
      const itemId = 'team_role:' + 'z'.repeat(itemIdMaxLength);
      const response = await expectNoAppend(() =>
        alice.post(`/v1/teams/${TEAM}/access-reviews/q1/items/${itemId}/decision`, { decision: 'keep' }),
      );
      expectProblem(response, 414);
    });
  });

  describe('before routing: problem+json over a real socket', () => {
    it('a URI path segment over the router limit: 414', async () => {
      const response = await rawRequest(
        port,
        `GET /v1/teams/${'a'.repeat(10_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expectProblem(response, 414, { type: 'urn:access-audit:problem:uri-too-long' });
    });

    it('headers over the limit: 431', async () => {
      const response = await rawRequest(
        port,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
      );
      expectProblem(response, 431);
    });

    it('a request target that does not percent-decode (%ZZ): 400 naming the url', async () => {
      const response = await rawRequest(port, 'GET /v1/teams/%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expectProblem(response, 400, { errors: [expect.objectContaining({ field: 'url', rule: 'percentEncoding' })] });
    });

    it('a NUL in the request line: 400 naming the request', async () => {
      const response = await rawRequest(port, 'GET /v1/te\0ams HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expectProblem(response, 400, { errors: [expect.objectContaining({ field: 'request', rule: 'wellFormed' })] });
    });

    it('two Authorization headers: 400 naming the header, nothing appended, even when the first is valid', async () => {
      const body = JSON.stringify({ userId: 'twice', role: 'owner' });
      const response = await expectNoAppend(() =>
        rawRequest(
          port,
          `POST /v1/teams/${TEAM}/members HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
            `Authorization: Bearer other\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
            `Connection: close\r\n\r\n${body}`,
        ),
      );
      expectProblem(response, 400, {
        errors: [expect.objectContaining({ field: 'Authorization', rule: 'singleHeader' })],
      });
      expect(response.headers['www-authenticate']).toMatch(/error="invalid_request"/);
      expect(response.text).not.toContain(token);
    });
  });

  describe('methods', () => {
    it.each([
      ['POST', `/v1/teams/${TEAM}/members/bob/role`, 'PUT'],
      ['GET', `/v1/teams/${TEAM}/members`, 'POST'],
      ['DELETE', '/v1/teams', 'GET, HEAD, POST'],
      ['POST', `/v1/teams/${TEAM}`, 'GET, HEAD, PATCH'],
      ['PUT', `/v1/teams/${TEAM}/audit/verify`, 'GET, HEAD'],
    ])('%s %s is 405 with Allow: %s, and appends nothing', async (method, path, allow) => {
      const response = await expectNoAppend(() => send(method, path, '{}'));
      expectProblem(response, 405, { type: 'urn:access-audit:problem:method-not-allowed' });
      expect(response.headers['allow']).toBe(allow);
    });

    it('an unknown path is still 404', async () => {
      expectProblem(await alice.get('/v1/nowhere'), 404);
      expectProblem(await alice.post(`/v1/teams/${TEAM}/members/bob/nothing`), 404);
    });
  });
});
