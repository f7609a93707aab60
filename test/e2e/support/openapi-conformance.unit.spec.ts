import { PassThrough } from 'node:stream';
import Fastify from 'fastify';
import { conformanceProblems, recordAnswers, type OpenApiDocument, type RecordedAnswer } from './openapi-conformance';

const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

const document: OpenApiDocument = {
  paths: {
    '/things/{thingId}': {
      get: {
        responses: {
          '200': {
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/Thing' } },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          '404': { content: problemContent },
          '503': { content: { 'application/json': {} } },
        },
      },
      delete: { responses: { '204': { description: 'gone' } } },
    },
  },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        required: ['id', 'before'],
        properties: {
          id: { type: 'string', example: 't1' },
          before: { type: 'object', nullable: true, additionalProperties: true },
          tags: { type: 'array', items: { type: 'string' } },
        },
      },
      Problem: { type: 'object', required: ['status'], properties: { status: { type: 'integer' } } },
    },
  },
};

const answer = (overrides: Partial<RecordedAnswer>): RecordedAnswer => ({
  method: 'GET',
  route: '/things/:thingId',
  url: '/things/t1',
  status: 200,
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify({ id: 't1', before: null }),
  ...overrides,
});

describe('conformanceProblems', () => {
  it('finds nothing in answers the document describes (JSON with a nullable object, CSV, a bodiless 204)', () => {
    expect(
      conformanceProblems(document, [
        answer({}),
        answer({ body: JSON.stringify({ id: 't1', before: { role: 'owner' }, tags: ['a'] }) }),
        answer({ contentType: 'text/csv; charset=utf-8', body: 'id\nt1\n' }),
        answer({ method: 'DELETE', status: 204, contentType: undefined, body: '' }),
        answer({ status: 404, contentType: 'application/problem+json', body: '{"status":404}' }),
      ]),
    ).toEqual([]);
  });

  it('ignores answers no route matched and the routes serving the document', () => {
    expect(
      conformanceProblems(document, [
        answer({ route: undefined, status: 404, body: 'nope' }),
        answer({ route: '/docs-json', body: '{}' }),
      ]),
    ).toEqual([]);
  });

  it.each<[string, Partial<RecordedAnswer>, RegExp]>([
    [
      'an undocumented operation',
      { method: 'PUT' },
      /PUT \/things\/\{thingId\} → 200: the operation is not in the document/,
    ],
    ['an undeclared status', { status: 401 }, /status 401 is not declared/],
    [
      'an undeclared content type',
      { contentType: 'text/plain', body: 'hi' },
      /content type "text\/plain" is not declared \(declared: application\/json, text\/csv\)/,
    ],
    ['a content type declared without a schema', { status: 503 }, /application\/json is declared without a schema/],
    ['a body that is not JSON', { body: 'id,before' }, /the application\/json body is not JSON/],
    ['null where an object is declared', { body: '{"id":null,"before":null}' }, /\/id must be string/],
    ['a missing required member', { body: '{"id":"t1"}' }, /must have required property 'before'/],
    ['an undeclared member', { body: '{"id":"t1","before":null,"extra":1}' }, /additionalProperty":"extra"/],
    [
      'an object where strings are declared',
      { body: '{"id":"t1","before":null,"tags":[{}]}' },
      /\/tags\/\* must be string/,
    ],
    [
      'a body where none is declared',
      { method: 'DELETE', status: 204, body: 'x' },
      /is not declared \(declared: none\)/,
    ],
  ])('reports %s', (_case, overrides, expected) => {
    expect(conformanceProblems(document, [answer(overrides)])).toEqual([expect.stringMatching(expected)]);
  });

  it('reports a problem once, with the first request that showed it', () => {
    const problems = conformanceProblems(document, [
      answer({ status: 401, url: '/things/a' }),
      answer({ status: 401, url: '/things/b' }),
    ]);
    expect(problems).toEqual([expect.stringContaining('(e.g. GET /things/a)')]);
  });
});

describe('recordAnswers', () => {
  it('records what was sent, streamed or written to a hijacked reply, with the route template', async () => {
    const app = Fastify();
    const answers = recordAnswers(app);
    app.get('/json/:id', async () => ({ id: 'x' }));
    app.get('/stream', async (_request, reply) => {
      const stream = new PassThrough();
      setImmediate(() => stream.end('a\nb\n'));
      return reply.type('application/x-ndjson').send(stream);
    });
    app.get('/raw', (_request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'Content-Type': 'text/event-stream' });
      reply.raw.write('event: change\n');
      reply.raw.end('data: {}\n\n');
    });
    await app.ready();
    await app.inject('/json/1');
    await app.inject('/stream');
    await app.inject('/raw');
    await app.inject('/unknown');
    await app.close();

    expect(answers).toEqual([
      {
        method: 'GET',
        route: '/json/:id',
        url: '/json/1',
        status: 200,
        contentType: 'application/json; charset=utf-8',
        body: '{"id":"x"}',
      },
      {
        method: 'GET',
        route: '/stream',
        url: '/stream',
        status: 200,
        contentType: 'application/x-ndjson',
        body: 'a\nb\n',
      },
      {
        method: 'GET',
        route: '/raw',
        url: '/raw',
        status: 200,
        contentType: 'text/event-stream',
        body: 'event: change\ndata: {}\n\n',
      },
      expect.objectContaining({ route: undefined, url: '/unknown', status: 404 }),
    ]);
  });
});
