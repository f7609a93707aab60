/**
 * The e2e harness: the real Nest app (same `createApiApp` as `npm start`) listening on an ephemeral port, on the SQLite
 * store in a temporary DATA_DIR, with helpers to mint tokens and to check that a rejected request appended nothing.
 *
 *   const api = await startTestApi();
 *   const alice = await api.as('alice');
 *   await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
 *   const bob = await api.as('bob');
 *   await api.expectNothingAppended('acme', () => bob.post('/v1/teams/acme/members', { userId: 'x', role: 'member' }).expect(404));
 *   await api.close();
 *
 * `close({ keepData: true })` keeps the temporary DATA_DIR so that `startTestApi({ dataDir })` can reopen it (restart tests).
 * `close()` also fails unless every answer the app sent matches its OpenAPI document (see openapi-conformance.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { teamStreamId } from '@access-audit/domain';
import type { EventStore, RecordedEvent } from '@access-audit/event-store';
import request from 'supertest';
import { loadApiConfig, loadOrCreateJwtSecret, type ApiConfig } from '@access-audit/config';
import { createApiApp } from '../../../apps/api/src/create-app';
import { EVENT_STORE } from '../../../apps/api/src/event-store/event-store.module';
import { mintToken } from '../../../apps/cli/src/commands/token';
import { conformanceProblems, recordAnswers } from './openapi-conformance';

export interface TokenOptions {
  scopes?: string[];
  ttl?: string;
}

/** Requests as one user: JSON bodies, `Authorization: Bearer` set. Chain `.set(...)` / `.expect(...)` as in supertest. */
export interface UserClient {
  get(path: string): request.Test;
  post(path: string, body?: object): request.Test;
  put(path: string, body?: object): request.Test;
  patch(path: string, body?: object): request.Test;
  delete(path: string, body?: object): request.Test;
}

export interface TestApi {
  app: NestFastifyApplication;
  config: ApiConfig;
  baseUrl: string;
  /** The app's event store (the one behind `EVENT_STORE`). */
  store: EventStore;
  /** Unauthenticated requests: `api.http().get('/healthz')`. */
  http(): ReturnType<typeof request>;
  /** A bearer JWT for `userId`, signed with the app's secret. */
  token(userId: string, options?: TokenOptions): Promise<string>;
  as(userId: string, options?: TokenOptions): Promise<UserClient>;
  /** Last revision of the team's stream; -1 when the team does not exist. */
  teamRevision(teamId: string): Promise<number>;
  teamEvents(teamId: string): Promise<RecordedEvent[]>;
  /** Runs `action` (a request) and fails the test if the team's stream grew meanwhile. Returns what `action` returned. */
  expectNothingAppended<T>(teamId: string, action: () => PromiseLike<T>): Promise<T>;
  close(options?: { keepData?: boolean }): Promise<void>;
}

/** Temporary DATA_DIRs made here start with this; `close()` deletes them (unless `keepData`). */
const tempPrefix = 'access-audit-e2e-';

export interface StartTestApiOptions {
  /** Reuse a DATA_DIR (e.g. to restart on the same store); a new temporary folder by default. */
  dataDir?: string;
  /** Extra environment for `loadApiConfig` (e.g. `EVENT_STORE: 'memory:'`). */
  env?: NodeJS.ProcessEnv;
  /** The reviewer console's build to serve (see CreateApiAppOptions.consoleDir). */
  consoleDir?: string;
}

export async function startTestApi(options: StartTestApiOptions = {}): Promise<TestApi> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), tempPrefix));
  const config: ApiConfig = { ...loadApiConfig({ DATA_DIR: dataDir, ...options.env }), port: 0 };
  // No Swagger UI under Jest (see CreateApiAppOptions.docsUi); /docs-json is served as in production.
  const app = await createApiApp(config, {
    logger: ['error', 'fatal'],
    docsUi: false,
    ...(options.consoleDir ? { consoleDir: options.consoleDir } : {}),
  });
  const answers = recordAnswers(app.getHttpAdapter().getInstance());
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  if (typeof address !== 'object' || address === null) throw new Error('the test API is not listening');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const store = app.get<EventStore>(EVENT_STORE);
  const secret = config.auth.kind === 'hs256' ? (config.auth.secret ?? loadOrCreateJwtSecret(dataDir)) : undefined;

  const token = (userId: string, tokenOptions: TokenOptions = {}): Promise<string> => {
    if (!secret) throw new Error('tokens can be minted only with the HS256 secret');
    return mintToken({ secret, userId, ...tokenOptions });
  };
  const http = () => request(baseUrl);
  const as = async (userId: string, tokenOptions?: TokenOptions): Promise<UserClient> => {
    const authorization = `Bearer ${await token(userId, tokenOptions)}`;
    const send = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, body?: object): request.Test => {
      const test = http()[method](path).set('Authorization', authorization);
      return body === undefined ? test : test.send(body);
    };
    return {
      get: (path) => send('get', path),
      post: (path, body) => send('post', path, body),
      put: (path, body) => send('put', path, body),
      patch: (path, body) => send('patch', path, body),
      delete: (path, body) => send('delete', path, body),
    };
  };
  const teamRevision = (teamId: string) => store.streamRevision(teamStreamId(teamId));

  return {
    app,
    config,
    baseUrl,
    store,
    http,
    token,
    as,
    teamRevision,
    teamEvents: (teamId) => store.readStream(teamStreamId(teamId)),
    async expectNothingAppended<T>(teamId: string, action: () => PromiseLike<T>): Promise<T> {
      const before = await teamRevision(teamId);
      const result = await action();
      expect({ teamId, revision: await teamRevision(teamId) }).toEqual({ teamId, revision: before });
      return result;
    },
    async close(closeOptions = {}) {
      const document = (await http().get('/docs-json').expect(200)).body;
      await app.close();
      if (!closeOptions.keepData && basename(dataDir).startsWith(tempPrefix))
        rmSync(dataDir, { recursive: true, force: true });
      // After close: streams still open (SSE) have ended and been recorded.
      expect(conformanceProblems(document, answers)).toEqual([]);
    },
  };
}

/** Asserts an `application/problem+json` answer with this status (and these members); returns the problem body. */
export function expectProblem(
  response: { status: number; headers: Record<string, string>; body: unknown },
  status: number,
  members: Record<string, unknown> = {},
): Record<string, unknown> {
  expect({ status: response.status, contentType: response.headers['content-type'] }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
  });
  expect(response.body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
    ...members,
  });
  return response.body as Record<string, unknown>;
}
