import { applyDecorators, Controller, Get, Inject, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AccessReadModels } from '@access-audit/projections';
import { Principal } from '../auth/principal';
import { identityProviderUnavailable, problemContent } from '../http/problem.dto';
import { validationProblem } from '../http/problem';
import { TeamListDto, type TeamListItemDto } from './dto/answers.dto';
import { TeamListQueryDto } from './dto/queries.dto';
import { ReadAccess } from './read-access';
import { ReadConsistency } from './read-consistency';
import { ACCESS_READ_MODELS } from './read-models.provider';
import { positionHeader } from './query-route';

const defaultPageSize = 100;

const encodeCursor = (teamId: string): string => Buffer.from(JSON.stringify({ after: teamId })).toString('base64url');

function decodeCursor(cursor: string): string {
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof after === 'string' && after !== '') return after;
  } catch {
    // refused below
  }
  throw validationProblem([
    { field: 'cursor', rule: 'isCursor', message: 'cursor must be a nextCursor this API returned' },
  ]);
}

// A list is never refused: a caller who reads no team gets an empty one.
const TeamListRoute = (): MethodDecorator =>
  applyDecorators(
    ApiBearerAuth(),
    ApiBadRequestResponse({ description: 'A query parameter is invalid (`errors[]`)', content: problemContent }),
    ApiUnauthorizedResponse({ description: 'Missing or invalid bearer token', content: problemContent }),
    ApiServiceUnavailableResponse({
      description: [
        '`minPosition` not reached within 5 s (retry after `Retry-After`)',
        identityProviderUnavailable,
      ].join('; or '),
      content: problemContent,
    }),
  );

/** The teams the caller can read, from the memberships-by-user read model (a machine reader: every team). */
@ApiTags('queries')
@Controller('v1/teams')
export class TeamListController {
  constructor(
    @Inject(ACCESS_READ_MODELS) private readonly models: AccessReadModels,
    private readonly consistency: ReadConsistency,
    private readonly access: ReadAccess,
  ) {}

  @Get()
  @TeamListRoute()
  @ApiOperation({
    summary: 'The teams the caller can read (member with team.view or team.audit.view; access:read: every team)',
    description: 'In team id order, cursor-paged: each `{ id, name, plan, role }`, role being the caller’s team role.',
  })
  @ApiOkResponse({ type: TeamListDto, headers: positionHeader })
  async teams(
    @Query() query: TeamListQueryDto,
    @Principal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TeamListDto> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    await this.consistency.settle(query.minPosition);
    this.consistency.stamp(reply);
    const teams: TeamListItemDto[] = [];
    const page = this.models.queries.teamsPage(principal.isReader ? undefined : principal.userId, {
      ...(after !== undefined ? { after } : {}),
      limit: query.limit ?? defaultPageSize,
      keep: (teamId) => {
        const listed = this.access.listedTeam(principal, teamId);
        if (!listed) return false;
        const { team, quarantined } = listed;
        const role = team.members.get(principal.userId)?.role.value ?? null;
        teams.push({ id: team.id, name: team.name, plan: team.plan, role, ...(quarantined ? { quarantined } : {}) });
        return true;
      },
    });
    // The page keeps one team more than it answers, to know whether another page follows.
    teams.length = page.teamIds.length;
    return { teams, nextCursor: page.nextAfter === null ? null : encodeCursor(page.nextAfter) };
  }
}
