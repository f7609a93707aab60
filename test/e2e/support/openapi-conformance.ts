/**
 * Checks answers the service actually sent against its OpenAPI document (/docs-json): the route and status are
 * declared, the content type is declared for that status, and the body matches the declared schema. Objects with
 * declared `properties` are checked closed (no undeclared member), so the document names every field a client gets.
 *
 *   const answers = recordAnswers(fastify);       // before listen
 *   ...requests...
 *   expect(conformanceProblems(document, answers)).toEqual([]);
 */
import type { ServerResponse } from 'node:http';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { isConsoleRoute } from '../../../apps/api/src/console/console-site';

/** One answer as it left the server: the bytes written, whatever wrote them (send, a piped stream or a hijacked SSE). */
export interface RecordedAnswer {
  method: string;
  /** Fastify's route template (`/v1/teams/:teamId`); undefined when no route matched (404 of an unknown path). */
  route: string | undefined;
  url: string;
  status: number;
  contentType: string | undefined;
  body: string;
}

/** Records every answer of `fastify`; call before the app listens. The returned array fills as answers finish. */
export function recordAnswers(fastify: FastifyInstance): RecordedAnswer[] {
  const answers: RecordedAnswer[] = [];
  fastify.addHook('onRequest', async (request, reply) => {
    const raw: ServerResponse = reply.raw;
    const chunks: Buffer[] = [];
    const capture = (chunk: unknown, encoding?: unknown): void => {
      if (typeof chunk === 'string')
        chunks.push(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
      else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    const write = raw.write.bind(raw) as (...args: unknown[]) => boolean;
    const end = raw.end.bind(raw) as (...args: unknown[]) => ServerResponse;
    // Some responses' end(chunk) calls their own write(chunk): count those bytes once.
    let ending = false;
    raw.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (!ending) capture(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as ServerResponse['write'];
    raw.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') capture(chunk, rest[0]);
      ending = true;
      try {
        return end(chunk, ...rest);
      } finally {
        ending = false;
      }
    }) as ServerResponse['end'];
    // Fastify passes its headers to writeHead, where getHeader cannot see them.
    let writtenContentType: string | undefined;
    const writeHead = raw.writeHead.bind(raw) as (...args: unknown[]) => ServerResponse;
    raw.writeHead = ((...args: unknown[]) => {
      const headers = args.find((arg) => typeof arg === 'object' && arg !== null && !Array.isArray(arg));
      for (const [name, value] of Object.entries(headers ?? {}))
        if (name.toLowerCase() === 'content-type') writtenContentType = String(value);
      return writeHead(...args);
    }) as ServerResponse['writeHead'];
    let recorded = false;
    // `finish` for complete answers; `close` for streams the client or shutdown ended (SSE).
    const record = (): void => {
      if (recorded) return;
      recorded = true;
      const contentType = writtenContentType ?? raw.getHeader('content-type');
      answers.push({
        method: request.method,
        route: request.routeOptions.url,
        url: request.url,
        status: raw.statusCode,
        contentType: contentType === undefined ? undefined : String(contentType),
        body: Buffer.concat(chunks).toString('utf8'),
      });
    };
    raw.once('finish', record).once('close', record);
  });
  return answers;
}

interface OpenApiSchema {
  [keyword: string]: unknown;
}
interface OpenApiResponse {
  description?: string;
  content?: Record<string, { schema?: OpenApiSchema }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, { responses?: Record<string, OpenApiResponse> }>>;
  components?: { schemas?: Record<string, OpenApiSchema> };
}

/** Routes that serve the document itself (not described in it). */
const documentRoutes = /^\/docs(\/|-json|-yaml|$)/;
const componentsId = 'openapi-components';

/** OpenAPI 3.0 schema to JSON Schema for ajv: component refs resolved through `componentsId`, described objects closed. */
function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string')
      out[key] = value.replace('#/components/schemas/', `${componentsId}#/definitions/`);
    else if (key === 'properties' || key === 'definitions')
      out[key] = Object.fromEntries(Object.entries(value as object).map(([name, s]) => [name, jsonSchemaOf(s)]));
    else out[key] = jsonSchemaOf(value);
  }
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

const isJson = (mediaType: string): boolean => mediaType === 'application/json' || mediaType.endsWith('+json');

/** Every way `answers` differ from `document`; empty when the document tells the truth about each of them. */
export function conformanceProblems(document: OpenApiDocument, answers: readonly RecordedAnswer[]): string[] {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  // OpenAPI annotations that are not JSON Schema keywords.
  ajv.addKeyword('example');
  ajv.addSchema({ $id: componentsId, definitions: jsonSchemaOf(document.components?.schemas ?? {}) });
  const compiled = new Map<OpenApiSchema, ValidateFunction>();
  const validatorOf = (schema: OpenApiSchema): ValidateFunction => {
    let validate = compiled.get(schema);
    if (!validate) compiled.set(schema, (validate = ajv.compile(jsonSchemaOf(schema) as object)));
    return validate;
  };

  // One line per distinct problem, with the first request that showed it.
  const problems = new Map<string, string>();
  for (const answer of answers) {
    // The document and the reviewer console's pages and assets are not API operations.
    if (answer.route === undefined || documentRoutes.test(answer.route) || isConsoleRoute(answer.route)) continue;
    const path = answer.route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const where = `${answer.method} ${path} → ${answer.status}`;
    const report = (problem: string): void => {
      if (!problems.has(problem)) problems.set(problem, `${problem} (e.g. ${answer.method} ${answer.url})`);
    };
    const operation = document.paths[path]?.[answer.method.toLowerCase()];
    if (!operation) {
      report(`${where}: the operation is not in the document`);
      continue;
    }
    const status = String(answer.status);
    const response =
      operation.responses?.[status] ?? operation.responses?.[`${status[0]}XX`] ?? operation.responses?.default;
    if (!response) {
      report(`${where}: status ${status} is not declared`);
      continue;
    }
    if (answer.body.length === 0 && !response.content) continue;
    const mediaType = answer.contentType?.split(';')[0]!.trim().toLowerCase() ?? '';
    const declared = Object.keys(response.content ?? {});
    const content = response.content?.[mediaType];
    if (!content) {
      report(`${where}: content type "${mediaType}" is not declared (declared: ${declared.join(', ') || 'none'})`);
      continue;
    }
    if (!content.schema) {
      report(`${where}: ${mediaType} is declared without a schema`);
      continue;
    }
    let body: unknown = answer.body;
    if (isJson(mediaType)) {
      try {
        body = JSON.parse(answer.body);
      } catch {
        report(`${where}: the ${mediaType} body is not JSON`);
        continue;
      }
    }
    const validate = validatorOf(content.schema);
    if (!validate(body)) {
      const errors = new Set(
        (validate.errors ?? []).map(
          (e) =>
            `${e.instancePath.replace(/\/\d+(?=\/|$)/g, '/*') || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
        ),
      );
      report(`${where}: ${mediaType} body does not match its schema: ${[...errors].join('; ')}`);
    }
  }
  return [...problems.values()];
}
