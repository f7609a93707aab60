import {
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  Query,
  Res,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';
import { problem, ProblemException, problemTypes } from './problem';
import { ProblemFilter } from './problem.filter';
import { installSynchronousRoutes, SynchronousRoute, type SynchronousGuard } from './synchronous-route';
import { createValidationPipe } from './validation';

class ReadQueryDto {
  @IsString() name!: string;
  @IsOptional() @IsIn(['throw', 'later', 'later-throw']) mode?: string;
}

class ItemPathDto {
  @IsString() @MaxLength(2) id!: string;
}

/** Admits at once unless told it cannot decide; counts which of its forms ran. */
@Injectable()
class RecordingGuard implements SynchronousGuard {
  static decidesAtOnce = true;
  static refuses = false;
  static calls = { atOnce: 0, chain: 0 };
  canActivateAtOnce(): boolean | undefined {
    RecordingGuard.calls.atOnce++;
    if (!RecordingGuard.decidesAtOnce) return undefined;
    return this.#admit();
  }
  canActivate(): Promise<boolean> {
    RecordingGuard.calls.chain++;
    return Promise.resolve(this.#admit());
  }
  #admit(): boolean {
    if (RecordingGuard.refuses)
      throw new ProblemException(problem(403, problemTypes.forbidden, 'not you', { permission: 'read' }));
    return true;
  }
}

const answer = (query: ReadQueryDto, reply: FastifyReply): object | Promise<object> => {
  void reply.header('X-Name', query.name);
  const refusal = () => new ProblemException(problem(404, problemTypes.notFound, `no ${query.name}`, { rule: 'r' }));
  if (query.mode === 'throw') throw refusal();
  if (query.mode === 'later') return Promise.resolve({ name: query.name, later: true });
  if (query.mode === 'later-throw') return Promise.reject(refusal());
  return { name: query.name };
};

@Controller()
class ReadsController {
  @Get('fast')
  @SynchronousRoute()
  fast(@Query() query: ReadQueryDto, @Res({ passthrough: true }) reply: FastifyReply): object | Promise<object> {
    return answer(query, reply);
  }

  @Get('fast/:id/item')
  @SynchronousRoute()
  fastItem(@Param() { id }: ItemPathDto, @Query() query: ReadQueryDto): object {
    return { id, name: query.name };
  }

  @Get('nest/:id/item')
  nestItem(@Param() { id }: ItemPathDto, @Query() query: ReadQueryDto): object {
    return { id, name: query.name };
  }

  /** The same route through Nest's chain: what the fast one must answer alike. */
  @Get('nest')
  chain(@Query() query: ReadQueryDto, @Res({ passthrough: true }) reply: FastifyReply): object | Promise<object> {
    return answer(query, reply);
  }
}

class PassingInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

@Controller()
class InterceptedController {
  @Get('intercepted')
  @SynchronousRoute()
  @UseInterceptors(PassingInterceptor)
  intercepted(@Query() query: ReadQueryDto): object {
    return query;
  }
}

const globals = [
  { provide: APP_GUARD, useClass: RecordingGuard },
  { provide: APP_PIPE, useFactory: createValidationPipe },
  { provide: APP_FILTER, useClass: ProblemFilter },
];

@Module({ controllers: [ReadsController], providers: globals })
class ReadsModule {}

@Module({ controllers: [InterceptedController], providers: globals })
class InterceptedModule {}

@Module({
  controllers: [ReadsController],
  providers: [...globals, { provide: APP_INTERCEPTOR, useClass: PassingInterceptor }],
})
class GloballyInterceptedModule {}

async function appOf(module: Parameters<typeof NestFactory.create>[0]): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: false });
  installSynchronousRoutes(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('@SynchronousRoute()', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await appOf(ReadsModule);
  });
  afterAll(() => app.close());
  beforeEach(() => {
    RecordingGuard.decidesAtOnce = true;
    RecordingGuard.refuses = false;
    RecordingGuard.calls = { atOnce: 0, chain: 0 };
  });

  const get = (path: string, query: string) => app.getHttpAdapter().getInstance().inject(`/${path}?${query}`);
  const answersAlike = async (query: string, rest = '') => {
    const [fast, chain] = [await get(`fast${rest}`, query), await get(`nest${rest}`, query)]; // paths of one length: same Content-Length
    const headers = (response: typeof fast) => {
      const { date: _date, ...rest } = response.headers;
      return rest;
    };
    expect({ status: fast.statusCode, headers: headers(fast), body: fast.body }).toEqual({
      status: chain.statusCode,
      headers: headers(chain),
      body: chain.body.replaceAll('/nest', '/fast'),
    });
    return fast;
  };

  it('answers without the guard chain when the guard decides at once', async () => {
    const response = await answersAlike('name=bob');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ name: 'bob' });
    expect(response.headers['x-name']).toBe('bob');
    // The fast route asked the synchronous form only; the Nest route asked the chain's form.
    expect(RecordingGuard.calls).toEqual({ atOnce: 1, chain: 1 });
    const head = (path: string) =>
      app
        .getHttpAdapter()
        .getInstance()
        .inject({ method: 'HEAD', url: `/${path}?name=bob` });
    const [fastHead, nestHead] = [await head('fast'), await head('nest')];
    expect([fastHead.statusCode, fastHead.body, fastHead.headers['content-length']]).toEqual([
      200,
      '',
      nestHead.headers['content-length'],
    ]);
  });

  it("takes Nest's chain when the guard cannot decide at once", async () => {
    RecordingGuard.decidesAtOnce = false;
    const response = await get('fast', 'name=bob');
    expect(response.json()).toEqual({ name: 'bob' });
    expect(RecordingGuard.calls).toEqual({ atOnce: 1, chain: 1 });
  });

  it('answers a guard refusal, an invalid or unknown parameter, a thrown or rejected problem as Nest does', async () => {
    RecordingGuard.refuses = true;
    expect((await answersAlike('name=bob')).json()).toMatchObject({ status: 403, permission: 'read' });
    RecordingGuard.refuses = false;
    expect((await answersAlike('mode=other')).json()).toMatchObject({
      status: 400,
      errors: expect.arrayContaining([
        expect.objectContaining({ field: 'name', rule: 'isString' }),
        expect.objectContaining({ field: 'mode', rule: 'isIn' }),
      ]),
    });
    expect((await answersAlike('name=bob&extra=1')).json()).toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ field: 'extra', rule: 'whitelistValidation' })],
    });
    expect((await answersAlike('name=bob&name=eve')).statusCode).toBe(400);
    expect((await answersAlike('name=bob&mode=throw')).json()).toMatchObject({ status: 404, rule: 'r' });
    expect((await answersAlike('name=bob&mode=later')).json()).toEqual({ name: 'bob', later: true });
    expect((await answersAlike('name=bob&mode=later-throw')).json()).toMatchObject({ status: 404, rule: 'r' });
    expect((await answersAlike('name=bob', '/ab/item')).json()).toEqual({ id: 'ab', name: 'bob' });
    expect((await answersAlike('name=bob', '/abc/item')).json()).toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ field: 'id', rule: 'maxLength' })],
    });
    // An empty path parameter is not found, as Nest answers it, not a validation error.
    expect((await answersAlike('name=bob', '//item')).statusCode).toBe(404);
  });

  it('refuses to start when an interceptor applies to the route, its own or a global one', async () => {
    await expect(appOf(InterceptedModule)).rejects.toThrow(
      "InterceptedController.intercepted: has its own interceptors; it cannot skip Nest's chain",
    );
    await expect(appOf(GloballyInterceptedModule)).rejects.toThrow(
      'ReadsController.fast: request-scoped or intercepting',
    );
  });
});
