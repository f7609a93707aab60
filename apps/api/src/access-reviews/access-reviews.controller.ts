import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  AccessReviewService,
  type AccessReviewCallContext,
  type AccessReviewCommandResult,
  type CampaignSummary,
  type ReviewScope,
  type ServiceResult,
} from '@access-audit/access-reviews';
import { WrongExpectedRevisionError, type EventStore } from '@access-audit/event-store';
import { Principal } from '../auth/principal';
import { CLOCK, type Clock } from '../commands/clock';
import { CommandContext } from '../commands/command-context';
import { CommandRoute } from '../commands/command-route';
import type { TeamCommandContext } from '../commands/execute-team-command';
import { revisionConflictProblem } from '../commands/rejection-problem';
import { ReasonDto } from '../commands/dto/common.dto';
import { TeamParams } from '../commands/dto/teams.dto';
import { EVENT_STORE } from '../event-store/event-store.module';
import { validationProblem } from '../http/problem';
import { problemContent } from '../http/problem.dto';
import { accessReviewProblem } from './access-review-problem';
import {
  AccessReviewAcceptedDto,
  AccessReviewCompletedDto,
  AccessReviewItemParams,
  AccessReviewParams,
  CampaignQueryDto,
  DecideItemDto,
  EvidenceQueryDto,
  OpenAccessReviewDto,
  type ReviewScopeDto,
} from './dto/access-review.dto';
import { QueryRoute, type ReadRouteAnswers } from '../queries/query-route';
import { CampaignListDto, CampaignViewDto, SignedEvidenceDto } from './dto/access-review-answers.dto';

const scopeOf = (dto: ReviewScopeDto | undefined): ReviewScope => {
  switch (dto?.kind) {
    case undefined:
    case 'team':
      return { kind: 'team' };
    case 'projects':
      return { kind: 'projects', projectIds: dto.projectIds ?? [] };
    case 'roles':
      return { kind: 'roles', roles: dto.roles ?? [] };
  }
};

function valueOf<T>(result: ServiceResult<T>): T {
  if (!result.ok) throw accessReviewProblem(result.rejection);
  return result.value;
}

/** A campaign whose stored population no longer gives its opening digest is neither shown nor signed. */
const PopulationTamperedResponse = (): MethodDecorator =>
  ApiConflictResponse({
    description:
      'The stored population does not give the digest the campaign was opened with (`rule`: access-review.population-matches-digest)',
    content: problemContent,
  });

/** OpenAPI description of a campaign read: bearer auth and its problem answers. */
const CampaignReadRoute = (
  answers: ReadRouteAnswers = {
    forbidden: 'Neither team.audit.view nor a named reviewer',
    notFound: 'No such team or campaign (`rule`)',
  },
): MethodDecorator => QueryRoute(answers);

/** Access-review campaigns (API.md "Access reviews"): the routes only translate; the campaign decider decides. */
@ApiTags('access reviews')
@Controller('v1/teams/:teamId/access-reviews')
export class AccessReviewsController {
  constructor(
    private readonly reviews: AccessReviewService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @CommandRoute({ preview: false })
  @ApiOperation({
    summary:
      'Open a campaign (owner: team.members.roles.manage) over a snapshot of every grant in scope, folded from the team stream at its current revision, with its SHA-256 digest',
  })
  @ApiCreatedResponse({ type: AccessReviewAcceptedDto })
  async open(
    @Param() { teamId }: TeamParams,
    @Body() body: OpenAccessReviewDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<AccessReviewCommandResult> {
    return this.#command(() =>
      this.reviews.open(
        {
          teamId,
          ...(body.id !== undefined ? { reviewId: body.id } : {}),
          name: body.name,
          reviewerIds: body.reviewerIds,
          dueAt: new Date(body.dueAt).toISOString(),
          scope: scopeOf(body.scope),
          ...(body.defaultDecision ? { defaultDecision: body.defaultDecision } : {}),
        },
        this.#context(context, body),
      ),
    );
  }

  @Get()
  @CampaignReadRoute({ forbidden: 'Lacks team.audit.view', notFound: 'No such team (`rule`)' })
  @ApiOperation({
    summary: "The team's campaigns, oldest first, with status and whether an open one is past due (team.audit.view)",
  })
  @ApiOkResponse({ type: CampaignListDto })
  async list(
    @Param() { teamId }: TeamParams,
    @Query() query: CampaignQueryDto,
    @Principal() principal: Principal,
  ): Promise<{ accessReviews: CampaignSummary[] }> {
    this.#checkPosition(query.minPosition);
    return {
      accessReviews: valueOf(await this.reviews.list(teamId, principal.userId, this.clock.now().toISOString())),
    };
  }

  @Get(':reviewId')
  @CampaignReadRoute()
  @PopulationTamperedResponse()
  @ApiOperation({ summary: 'The campaign, its items and their decisions (team.audit.view, or a named reviewer)' })
  @ApiOkResponse({
    type: CampaignViewDto,
    description: 'Campaign with items, decisions in force, superseded decisions and outcomes',
  })
  async get(
    @Param() ids: AccessReviewParams,
    @Query() query: CampaignQueryDto,
    @Principal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<object> {
    this.#checkPosition(query.minPosition);
    const view = valueOf(await this.reviews.view(ids, principal.userId, this.clock.now().toISOString()));
    void reply.header('X-Position', view.position).header('ETag', `"${view.streamRevision}"`);
    return view;
  }

  @Post(':reviewId/items/:itemId/decision')
  @HttpCode(HttpStatus.CREATED)
  @CommandRoute({ preview: false })
  @ApiOperation({
    summary:
      "Record a named reviewer's decision (keep | revoke); never on one's own access (403 rule access-review.sod.own-access) nor on a grant one made (403 rule access-review.sod.own-grant)",
  })
  @ApiCreatedResponse({ type: AccessReviewAcceptedDto })
  async decide(
    @Param() { teamId, reviewId, itemId }: AccessReviewItemParams,
    @Body() body: DecideItemDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<AccessReviewCommandResult> {
    return this.#command(() =>
      this.reviews.decide(
        {
          teamId,
          reviewId,
          itemId,
          decision: body.decision,
          ...(body.justification !== undefined ? { justification: body.justification } : {}),
        },
        this.#context(context, body),
      ),
    );
  }

  @Post(':reviewId/complete')
  @HttpCode(HttpStatus.OK)
  @CommandRoute({ preview: false })
  @ApiOperation({
    summary:
      'Complete the campaign (an owner or a named reviewer): every revoke runs as a normal team command by the caller, caused by its decision; refusals and grants changed since the snapshot are reported per item. `position` covers the revocations',
  })
  @ApiOkResponse({ type: AccessReviewCompletedDto })
  async complete(
    @Param() ids: AccessReviewParams,
    @Body() body: ReasonDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<AccessReviewCommandResult> {
    return this.#command(() => this.reviews.complete(ids, this.#context(context, body)));
  }

  @Get(':reviewId/evidence')
  @CampaignReadRoute()
  @PopulationTamperedResponse()
  @ApiOperation({
    summary:
      'The evidence: population with digest and snapshot revision, decisions with reviewer, time and justification (superseded ones too), applied revocations with their team events, the audit-chain head at completion; signed with the audit checkpoint key (JSON: `signature` over the canonical JSON of `evidence`; CSV: `X-Evidence-Signature` over the body)',
  })
  @ApiExtraModels(SignedEvidenceDto)
  @ApiOkResponse({
    description: '`{ evidence, signature }`, or with format=csv the CSV the `X-Evidence-Signature` header signs',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(SignedEvidenceDto) } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  async evidence(
    @Param() ids: AccessReviewParams,
    @Query() query: EvidenceQueryDto,
    @Principal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<object | string> {
    this.#checkPosition(query.minPosition);
    if (query.format === 'csv') {
      const csv = valueOf(await this.reviews.evidenceCsv(ids, principal.userId));
      void reply
        .header('Content-Type', 'text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="access-review-${ids.teamId}-${ids.reviewId}.csv"`)
        .header('X-Position', csv.position)
        .header('X-Population-Digest', csv.digest)
        .header('X-Evidence-Signature', `ed25519=${csv.signature}`)
        .header('X-Evidence-Key-Id', csv.keyId);
      return csv.csv;
    }
    const signed = valueOf(await this.reviews.evidence(ids, principal.userId));
    void reply.header('X-Position', signed.position);
    return { evidence: signed.evidence, signature: signed.signature };
  }

  /** Campaigns are read from their stream, never behind: `minPosition` is only checked to be a position, as elsewhere. */
  #checkPosition(minPosition: string | undefined): void {
    if (minPosition === undefined) return;
    try {
      this.store.comparePositions(minPosition, minPosition);
    } catch {
      throw validationProblem([
        { field: 'minPosition', rule: 'isPosition', message: 'minPosition must be a position this service returned' },
      ]);
    }
  }

  #context(context: TeamCommandContext, body: ReasonDto): AccessReviewCallContext {
    return {
      actorId: context.actorId,
      now: this.clock.now().toISOString(),
      correlationId: context.correlationId,
      ...(context.requestContext ? { requestContext: context.requestContext } : {}),
      ...(body.reason !== undefined ? { reason: body.reason } : {}),
      ...(context.expectedRevision !== undefined ? { expectedRevision: context.expectedRevision } : {}),
    };
  }

  async #command(run: () => Promise<ServiceResult<AccessReviewCommandResult>>): Promise<AccessReviewCommandResult> {
    try {
      return valueOf(await run());
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) throw revisionConflictProblem(error, true);
      throw error;
    }
  }
}
