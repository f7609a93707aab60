import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  followChanges,
  InvalidPositionError,
  type AccessReadModels,
  type ChangesPage,
  type PermissionChange,
} from '@access-audit/projections';
import { Principal } from '../auth/principal';
import { validationProblem } from '../http/problem';
import { ChangesPageDto } from './dto/answers.dto';
import { ChangesQueryDto } from './dto/queries.dto';
import { ReadAccess } from './read-access';
import { PERSONAL_DATA } from '../privacy/privacy.module';
import type { PersonalData } from '@access-audit/privacy';
import { ReadConsistency } from './read-consistency';
import { ACCESS_READ_MODELS, OpenStreams } from './read-models.provider';
import { positionHeader, QueryRoute } from './query-route';

const heartbeatMs = 15_000;

/**
 * Server-Sent Events of one batch of changes. Every change is one `change` event; only the last change of each
 * causing event carries `id:` (its position), so a client that resumes with Last-Event-ID never gets half an event.
 */
function sseFrames(changes: readonly PermissionChange[]): string {
  return changes
    .map((change, index) => {
      const lastOfEvent = changes[index + 1]?.position !== change.position;
      return `event: change\n${lastOfEvent ? `id: ${change.position}\n` : ''}data: ${JSON.stringify(change)}\n\n`;
    })
    .join('');
}

@ApiTags('queries')
@Controller('v1/changes')
export class ChangesController {
  constructor(
    @Inject(ACCESS_READ_MODELS) private readonly models: AccessReadModels,
    private readonly consistency: ReadConsistency,
    private readonly access: ReadAccess,
    private readonly streams: OpenStreams,
    @Inject(PERSONAL_DATA) private readonly personalData: PersonalData,
  ) {}

  @Get()
  @QueryRoute()
  @ApiOperation({
    summary:
      'Change feed of effective permissions: each permission granted or revoked per user and project, with the event that caused it',
    description:
      'JSON pages by default; with `Accept: text/event-stream`, Server-Sent Events that stay open (event `change`, `id` = position of the ' +
      'causing event on its last change) and resume after `Last-Event-ID`.',
  })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'SSE: resume after this position (overrides `after`)',
  })
  @ApiExtraModels(ChangesPageDto)
  @ApiOkResponse({
    headers: positionHeader,
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ChangesPageDto) } },
      'text/event-stream': {
        schema: {
          type: 'string',
          description:
            'Server-Sent Events: `event: change`, `data:` one change (as in `changes[]`), `id:` its position',
        },
      },
    },
  })
  async changes(
    @Query() query: ChangesQueryDto,
    @Principal() principal: Principal,
    @Headers('accept') accept: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (query.teamId === undefined) this.access.assertAllTeamsReader(principal);
    else this.access.assertTeamReader(principal, query.teamId);
    await this.consistency.settle(query.minPosition);
    const stream = accept?.includes('text/event-stream') ?? false;
    const after = (stream && lastEventId?.trim()) || query.after;
    const options = { ...(after ? { after } : {}), ...(query.teamId !== undefined ? { teamId: query.teamId } : {}) };
    let first: ChangesPage;
    try {
      first = this.models.queries.changes({ ...options, limit: query.limit ?? 100 });
    } catch (error) {
      if (!(error instanceof InvalidPositionError)) throw error;
      const field = stream && lastEventId?.trim() ? 'Last-Event-ID' : 'after';
      throw validationProblem([
        { field, rule: 'isPosition', message: `${field} must be a position this service returned` },
      ]);
    }
    this.consistency.stamp(reply);
    if (!stream) {
      // Causes' reasons are sealed in the read model; opened at answer time (the text, or "[erased]").
      await reply
        .header('Cache-Control', 'no-store')
        .type('application/json')
        .send(await this.personalData.reveal(first));
      return;
    }
    this.#stream(request, reply, options);
  }

  #stream(request: FastifyRequest, reply: FastifyReply, options: { after?: string; teamId?: string }): void {
    const controller = this.streams.open();
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Request-Id': String(request.id),
      ...(reply.getHeader('X-Position') !== undefined ? { 'X-Position': String(reply.getHeader('X-Position')) } : {}),
    });
    raw.write('retry: 2000\n\n');
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), heartbeatMs);
    heartbeat.unref();
    const end = (): void => controller.abort();
    request.raw.on('close', end);
    raw.on('close', end);
    void (async () => {
      try {
        for await (const changes of followChanges(this.models.queries, this.models.runner, {
          ...options,
          signal: controller.signal,
        })) {
          if (!raw.write(sseFrames((await this.personalData.reveal(changes)) as unknown as PermissionChange[])))
            await new Promise<void>((resolve) => raw.once('drain', resolve).once('close', resolve));
        }
      } catch {
        // The read models closed under the stream (shutdown): end it; the client resumes with Last-Event-ID.
      } finally {
        clearInterval(heartbeat);
        controller.abort();
        raw.end();
      }
    })();
  }
}
