import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { LogLevel } from '@nestjs/common';
import { AppModule } from './app.module';
import { installConsole } from './console/console-site';
import { type ApiConfig, ensureDataDir } from '@access-audit/config';
import { RouteMethods } from './http/allowed-methods';
import { answerClientError, answerFrameworkError } from './http/framework-errors';
import { pathParamMaxLength } from './http/ids';
import { parseJsonBody } from './http/json-body';
import { ProblemDto } from './http/problem.dto';
import { requestIdFor } from './http/request-context';
import { installSynchronousRoutes } from './http/synchronous-route';
import { MetricsService } from './observability/metrics.service';

export interface CreateApiAppOptions {
  /** Nest log levels; `false` silences the framework logger (tests). */
  logger?: LogLevel[] | false;
  /**
   * Serve the Swagger UI at /docs (default true); /docs-json is always served. The UI's assets come through
   * @fastify/static, whose ESM-only dependency (content-disposition 3) Node loads but Jest's module system cannot.
   */
  docsUi?: boolean;
  /** The reviewer console's build (index.html and assets/); default: dist/console, where `npm run build` writes it. */
  consoleDir?: string;
}

/**
 * Builds the API on Fastify, configured but not listening: `await app.listen(config.port, config.host)`.
 * The same function serves `main.ts` and the e2e harness, so tests run exactly what production runs.
 */
export async function createApiApp(
  config: ApiConfig,
  options: CreateApiAppOptions = {},
): Promise<NestFastifyApplication> {
  ensureDataDir(config.dataDir);
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    genReqId: requestIdFor,
    // Every id a DTO accepts fits in a path parameter: what can be created can be addressed.
    routerOptions: { maxParamLength: pathParamMaxLength },
    // What Fastify and Node refuse before routing is answered as problem+json too.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    // No Nest middleware is used: without @fastify/middie every request skips its onRequest hook.
    skipMiddie: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.withConfig(config), adapter, {
    logger: options.logger ?? ['log', 'warn', 'error'],
    abortOnError: false,
    // Fastify's own parsers (JSON only, once text/plain is removed below); Nest's would add urlencoded forms.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Bodies are JSON only: text/plain and anything else is refused with 415.
  fastify.removeContentTypeParser('text/plain');
  // Bodiless routes (DELETE, PUT of a group) are often called with a JSON Content-Type anyway: no body is no body.
  // A body is a JSON object of bounded depth without prototype keys, checked here before anything recursive runs.
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, parseJsonBody(body.toString()));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  // Which methods a path serves, so that a wrong method is 405 with Allow rather than 404.
  const routeMethods = new RouteMethods();
  fastify.decorate('routeMethods', routeMethods);
  fastify.addHook('onRoute', (route) => routeMethods.add(route.method, route.url));
  installSynchronousRoutes(app);
  installConsole(fastify, options.consoleDir, config.auth.oidc?.issuer);
  const metrics = app.get(MetricsService);
  // Callback hooks: an async one costs every request a promise.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  setUpOpenApi(app, options.docsUi ?? true);
  app.enableShutdownHooks();
  return app;
}

function setUpOpenApi(app: NestFastifyApplication, ui: boolean): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('access-audit')
      .setDescription(
        'System of record for team access: every change is authenticated, authorized by the policy, validated and recorded as events. ' +
          'Errors are application/problem+json (RFC 9457). Mint a local token with `npm run token -- <userId>`.',
      )
      .setVersion('1')
      // Relative to where the document is served: the API answers on the same origin.
      .addServer('/')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
    { extraModels: [ProblemDto] },
  );
  // The global AuthGuard lets only @Public() routes through without a token; they carry no ApiBearerAuth, and say so.
  for (const operations of Object.values(document.paths))
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = operations[method];
      if (!operation) continue;
      operation.security ??= [];
      // Any route can fail unexpectedly (a store that cannot write, say); the answer is still a problem document.
      operation.responses['500'] ??= {
        description: 'An unexpected failure; the service log has it under the request id. Nothing unstored is acknowledged.',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
      };
    }
  SwaggerModule.setup('docs', app, document, {
    ui,
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'access-audit API',
  });
}
