import {
  CUSTOM_ROUTE_ARGS_METADATA,
  EXCEPTION_FILTERS_METADATA,
  FILTER_CATCH_EXCEPTIONS,
  GUARDS_METADATA,
  HEADERS_METADATA,
  HTTP_CODE_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  REDIRECT_METADATA,
  RENDER_METADATA,
  RESPONSE_PASSTHROUGH_METADATA,
  ROUTE_ARGS_METADATA,
  SSE_METADATA,
} from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type {
  ArgumentMetadata,
  CanActivate,
  ExceptionFilter,
  ExecutionContext,
  PipeTransform,
  Type,
} from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { RouteConfig, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod, RouteOptions } from 'fastify';

/** What an enhancer's synchronous form answers when it cannot decide without a promise: Nest's own chain then runs. */
export const notAtOnce: unique symbol = Symbol('notAtOnce');

/** A guard that can often decide at once; `undefined` when it needs a promise (an unverified token, say). */
export interface SynchronousGuard extends CanActivate {
  canActivateAtOnce(context: ExecutionContext): boolean | undefined;
}

/** A pipe that can often transform at once; `notAtOnce` for anything it leaves to its `transform` (every refusal). */
export interface SynchronousPipe extends PipeTransform {
  transformAtOnce(value: unknown, metadata: ArgumentMetadata): unknown;
}

const synchronousRouteKey = 'accessAudit.synchronousRoute';
const wrapped = Symbol('synchronousRoute');

interface SynchronousRouteTarget {
  controller: Type<unknown>;
  method: string;
}

/**
 * The route is answered without Nest's promise chain when every step can be taken at once: the global guards and
 * pipes' synchronous forms admit and transform, the handler is called, its answer sent (through the route's response
 * schema). Whatever they cannot decide at once (an unverified token, an invalid parameter) takes Nest's chain
 * unchanged; errors the handler raises go to the one global exception filter, as Nest would hand them.
 */
export const SynchronousRoute =
  (): MethodDecorator =>
  (target, key, descriptor): void => {
    const route: SynchronousRouteTarget = { controller: target.constructor as Type<unknown>, method: String(key) };
    RouteConfig({ [synchronousRouteKey]: route })(target, key, descriptor);
  };

type ArgumentOf = (request: FastifyRequest, reply: FastifyReply, context: ExecutionContext) => unknown;

interface RouteArgument {
  index: number;
  data?: unknown;
  pipes?: unknown[];
  factory?: (data: unknown, context: ExecutionContext) => unknown;
}

const isSynchronousGuard = (guard: CanActivate): guard is SynchronousGuard =>
  typeof (guard as Partial<SynchronousGuard>).canActivateAtOnce === 'function';
const isSynchronousPipe = (pipe: PipeTransform): pipe is SynchronousPipe =>
  typeof (pipe as Partial<SynchronousPipe>).transformAtOnce === 'function';
const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** What Nest would apply to this handler besides the globals: any of it means the route cannot skip Nest's chain. */
function ownEnhancers(controller: Type<unknown>, handler: object): string[] {
  const kinds = { guards: GUARDS_METADATA, interceptors: INTERCEPTORS_METADATA, pipes: PIPES_METADATA };
  const found: string[] = [];
  for (const [kind, key] of Object.entries({ ...kinds, filters: EXCEPTION_FILTERS_METADATA })) {
    const own = [
      ...((Reflect.getMetadata(key, controller) as unknown[] | undefined) ?? []),
      ...((Reflect.getMetadata(key, handler) as unknown[] | undefined) ?? []),
    ];
    if (own.length > 0) found.push(kind);
  }
  // What Nest does to the answer itself (status, headers, redirect, view, event stream) is not repeated here.
  const answerings = { '@HttpCode': HTTP_CODE_METADATA, '@Header': HEADERS_METADATA, '@Redirect': REDIRECT_METADATA };
  for (const [kind, key] of Object.entries({ ...answerings, '@Render': RENDER_METADATA, '@Sse': SSE_METADATA }))
    if (Reflect.getMetadata(key, handler) !== undefined) found.push(kind);
  return found;
}

/** How each parameter of the handler is filled at once, mirroring Nest's parameter kinds the read routes use. */
function argumentsOf(
  controller: Type<unknown>,
  method: string,
  pipes: readonly SynchronousPipe[],
  where: string,
): ArgumentOf[] {
  const metadata = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<
    string,
    RouteArgument
  >;
  const types = (Reflect.getMetadata('design:paramtypes', controller.prototype as object, method) ?? []) as Array<
    Type<unknown> | undefined
  >;
  const fillers: ArgumentOf[] = [];
  for (const [key, argument] of Object.entries(metadata)) {
    if ((argument.pipes?.length ?? 0) > 0) throw new Error(`${where}: parameter ${argument.index} has its own pipes`);
    const metatype = types[argument.index];
    const piped =
      (type: ArgumentMetadata['type'], data: string | undefined, value: ArgumentOf): ArgumentOf =>
      (request, reply, context) => {
        let transformed = value(request, reply, context);
        for (const pipe of pipes) {
          if (transformed === notAtOnce) return notAtOnce;
          transformed = pipe.transformAtOnce(transformed, { type, metatype, data });
        }
        return transformed;
      };
    if (key.includes(CUSTOM_ROUTE_ARGS_METADATA) && argument.factory) {
      const factory = argument.factory;
      fillers[argument.index] = piped('custom', argument.data as string | undefined, (_request, _reply, context) =>
        factory(argument.data, context),
      );
      continue;
    }
    const paramtype = Number(key.split(':')[0]) as RouteParamtypes;
    if (paramtype === RouteParamtypes.QUERY && argument.data === undefined)
      fillers[argument.index] = piped('query', undefined, (request) => request.query);
    else if (paramtype === RouteParamtypes.PARAM && argument.data === undefined)
      fillers[argument.index] = piped('param', undefined, (request) => request.params);
    else if (
      paramtype === RouteParamtypes.RESPONSE &&
      Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, controller, method) === true
    )
      fillers[argument.index] = (_request, reply) => reply;
    else throw new Error(`${where}: parameter ${argument.index} is of a kind answered only through Nest's chain`);
  }
  if (fillers.length !== types.length || fillers.some((filler) => filler === undefined))
    throw new Error(`${where}: every parameter needs a decorator`);
  return fillers;
}

/** The one global exception filter when it catches everything: where Nest sends whatever the handler throws. */
function catchAllFilter(config: ApplicationConfig, where: string): ExceptionFilter {
  const filters = config.getGlobalFilters();
  const caught =
    filters.length === 1
      ? (Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, filters[0]!.constructor) as unknown[])
      : undefined;
  if (filters.length !== 1 || (caught?.length ?? 0) > 0)
    throw new Error(`${where}: needs exactly one global exception filter that catches everything`);
  return filters[0]!;
}

function synchronousHandler(
  app: NestFastifyApplication,
  config: ApplicationConfig,
  target: SynchronousRouteTarget,
  nestHandler: RouteHandlerMethod,
): RouteHandlerMethod {
  const where = `${target.controller.name}.${target.method}`;
  if (
    config.getGlobalInterceptors().length > 0 ||
    config.getGlobalRequestInterceptors().length > 0 ||
    config.getGlobalRequestGuards().length > 0 ||
    config.getGlobalRequestPipes().length > 0 ||
    config.getGlobalRequestFilters().length > 0
  )
    throw new Error(`${where}: request-scoped or intercepting global enhancers apply; it cannot skip Nest's chain`);
  const guards = config.getGlobalGuards();
  const pipes = config.getGlobalPipes();
  if (!guards.every(isSynchronousGuard) || !pipes.every(isSynchronousPipe))
    throw new Error(`${where}: a global guard or pipe has no synchronous form`);
  const instance = app.get(target.controller) as Record<string, (...args: unknown[]) => unknown>;
  const handler = instance[target.method];
  if (typeof handler !== 'function') throw new Error(`${where}: no such handler`);
  const own = ownEnhancers(target.controller, handler);
  if (own.length > 0) throw new Error(`${where}: has its own ${own.join(', ')}; it cannot skip Nest's chain`);
  const fillers = argumentsOf(target.controller, target.method, pipes, where);
  const filter = catchAllFilter(config, where);

  const fail = (error: unknown, context: ExecutionContextHost): void => void filter.catch(error, context);
  const answer = function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): unknown {
    // An empty path parameter is Nest's not-found answer (its FastifyAdapter wraps the handler so).
    const params = request.params as Record<string, string> | undefined;
    for (const name in params) if (params[name] === '' && name !== '*') return nestHandler.call(this, request, reply);
    const context = new ExecutionContextHost([request, reply, undefined], target.controller, handler);
    let args: unknown[];
    try {
      for (const guard of guards)
        if (guard.canActivateAtOnce(context) !== true) return nestHandler.call(this, request, reply);
      args = new Array<unknown>(fillers.length);
      for (let index = 0; index < fillers.length; index++) {
        const value = fillers[index]!(request, reply, context);
        if (value === notAtOnce) return nestHandler.call(this, request, reply);
        args[index] = value;
      }
    } catch (error) {
      fail(error, context);
      return undefined;
    }
    let result: unknown;
    try {
      result = handler.apply(instance, args);
    } catch (error) {
      fail(error, context);
      return undefined;
    }
    if (isThenable(result))
      return Promise.resolve(result).then(
        (value) => void reply.send(value),
        (error: unknown) => fail(error, context),
      );
    // Nothing returned: Fastify would send a returned value a second time.
    void reply.send(result);
    return undefined;
  };
  return Object.assign(answer, { [wrapped]: true }) as RouteHandlerMethod;
}

/** Registers the hook that gives each `@SynchronousRoute()` its synchronous handler; before `app.init()` or `listen`. */
export function installSynchronousRoutes(app: NestFastifyApplication): void {
  const config = (app as unknown as { config?: unknown }).config;
  // Nest keeps the global enhancers in the application's ApplicationConfig; it offers no public getter for it.
  if (!(config instanceof ApplicationConfig)) throw new Error('synchronous routes: no ApplicationConfig on the app');
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route: RouteOptions) => {
      const target = (route.config as Record<string, unknown> | undefined)?.[synchronousRouteKey] as
        SynchronousRouteTarget | undefined;
      if (!target || (route.handler as unknown as Record<symbol, unknown>)[wrapped]) return;
      route.handler = synchronousHandler(app, config, target, route.handler);
    });
}
