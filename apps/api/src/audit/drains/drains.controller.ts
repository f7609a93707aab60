import { randomBytes, randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Logger, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TeamCommands } from '@access-audit/application';
import {
  AuditLog,
  checkDrainUrl,
  DrainDeliveries,
  DrainSecrets,
  DrainTargetRefused,
  type DrainStatus,
} from '@access-audit/audit';
import { checkPermission } from '@access-audit/domain';
import { Principal } from '../../auth/principal';
import { CommandContext } from '../../commands/command-context';
import { CommandRoute } from '../../commands/command-route';
import { CommandAcceptedDto } from '../../commands/dto/command-accepted.dto';
import { OptionalReasonBody, ReasonDto } from '../../commands/dto/common.dto';
import { TeamParams } from '../../commands/dto/teams.dto';
import type { TeamCommandAnswer, TeamCommandContext, TeamCommandPreviewed } from '../../commands/execute-team-command';
import { acceptedAnswer } from '../../commands/execute-team-command.handler';
import { revisionConflictProblem } from '../../commands/rejection-problem';
import { TEAM_COMMANDS } from '../../commands/team-commands.provider';
import { problem, ProblemException, problemTypes, validationProblem } from '../../http/problem';
import { QueryRoute } from '../../queries/query-route';
import { AUDIT_LOG } from '../audit-log.provider';
import { AuditReadAccess } from '../audit-read-access';
import { DRAIN_DELIVERIES, DRAIN_ENVIRONMENT, DRAIN_SECRETS } from './drains.provider';
import type { DrainEnvironment } from './drain-options';
import {
  AddAuditDrainDto,
  AuditDrainAddedDto,
  AuditDrainListDto,
  AuditDrainParams,
  AuditDrainStatusDto,
} from './dto/drains.dto';

/** How often an add is previewed and issued again while the team keeps changing in between (as a command retries). */
const maxAddAttempts = 5;

/** API.md "Audit log drains": add, list with delivery state, remove, resume. */
@ApiTags('audit drains')
@Controller('v1/teams/:teamId/audit/drains')
export class AuditDrainsController {
  readonly #logger = new Logger('Drains');
  constructor(
    @Inject(TEAM_COMMANDS) private readonly commands: TeamCommands,
    @Inject(DRAIN_SECRETS) private readonly secrets: DrainSecrets,
    @Inject(DRAIN_DELIVERIES) private readonly deliveries: DrainDeliveries,
    @Inject(DRAIN_ENVIRONMENT) private readonly env: DrainEnvironment,
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
    private readonly access: AuditReadAccess,
  ) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @CommandRoute({ answerHoldsSecret: true, answer: AuditDrainAddedDto, status: 201 })
  @ApiOperation({
    summary: 'Add a drain that receives every audit entry of the team (team.security.manage and team.audit.view)',
    description:
      'Answers the signing secret once. Delivery: POST of NDJSON batches (the export\'s lines) in sequence order, signed `X-Access-Audit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>">`.',
  })
  async add(
    @Param() { teamId }: TeamParams,
    @Body() body: AddAuditDrainDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<AuditDrainAddedDto | TeamCommandPreviewed> {
    let url: string;
    try {
      url = checkDrainUrl(body.url, this.env.allow).href;
    } catch (error) {
      if (!(error instanceof DrainTargetRefused)) throw error;
      throw validationProblem([{ field: 'url', rule: error.rule, message: error.message }]);
    }
    const drainId = `drn_${randomUUID()}`;
    const command = {
      type: 'AddAuditDrain',
      teamId,
      data: { drainId, url, ...(body.description !== undefined ? { description: body.description } : {}) },
    } as const;
    if (context.dryRun) {
      return acceptedAnswer(await this.commands.issue(command, { ...context, dryRun: true, reason: body.reason }));
    }
    // 256 random bits; sealed into the drain's secret stream, never into the team's events.
    const secret = randomBytes(32).toString('base64url');
    const credentials = { secret, ...(body.authorization !== undefined ? { authorization: body.authorization } : {}) };
    let stored = false;
    for (let attempt = 1; ; attempt++) {
      const preview = await this.commands.issue(command, { ...context, dryRun: true, reason: body.reason });
      // Stored before the drain exists, so an added drain always has its secret; a refusal the preview foresaw is
      // issued as itself (its denial recorded) and stores none.
      if (preview.ok && !stored) {
        await this.secrets.put(drainId, credentials);
        stored = true;
      }
      // Pinned to the revision the preview was decided on, so the command is accepted or refused exactly as foreseen
      // (a drain is never added unforeseen, without its secret); a team that moved on in between is previewed again.
      const foreseen = preview.ok || preview.kind === 'refused' ? preview.streamRevision : undefined;
      const outcome = await this.commands.issue(command, {
        ...context,
        dryRun: false,
        reason: body.reason,
        ...(foreseen !== undefined ? { expectedRevision: foreseen } : {}),
      });
      const movedOn = !outcome.ok && outcome.kind === 'conflict' && context.expectedRevision === undefined;
      if (movedOn && attempt < maxAddAttempts) continue;
      // A drain that was not added keeps no usable secret either.
      if (!outcome.ok && stored) await this.#destroyKey(drainId);
      // The caller pinned no revision: the team kept changing, as a command that ran out of retries says.
      if (movedOn) throw revisionConflictProblem(outcome.error, false);
      return { ...acceptedAnswer(outcome), drainId, secret };
    }
  }

  @Get()
  @QueryRoute({
    forbidden: 'Needs team.audit.view and team.security.manage on the team (`permission`)',
    notFound: 'No such team',
  })
  @ApiOperation({
    summary: "The team's drains with their delivery state: status, delivered-through sequence, lag, last error",
  })
  @ApiOkResponse({ type: AuditDrainListDto })
  async list(@Param() { teamId }: TeamParams, @Principal() principal: Principal): Promise<AuditDrainListDto> {
    await this.access.assertAuditReader(principal, teamId);
    const team = await this.audit.teamStateAt(teamId);
    if (team.status !== 'active') throw new Error(`team ${teamId} was readable but is not active`);
    if (!checkPermission(team, principal.userId, 'team.security.manage').allowed) {
      throw new ProblemException(
        problem(403, problemTypes.forbidden, `${principal.userId} lacks team.security.manage on team ${teamId}`, {
          permission: 'team.security.manage',
        }),
      );
    }
    const drains: DrainStatus[] = await Promise.all(
      [...(team.auditDrains?.values() ?? [])].map((drain) => this.deliveries.status({ ...drain, teamId })),
    );
    return { teamId, drains: drains as AuditDrainStatusDto[] };
  }

  @Delete(':drainId')
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @OptionalReasonBody()
  @ApiOperation({
    summary: 'Remove a drain; nothing more is delivered to it (team.security.manage and team.audit.view)',
  })
  async remove(
    @Param() { teamId, drainId }: AuditDrainParams,
    @Body() body: ReasonDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    const answer = acceptedAnswer(
      await this.commands.issue(
        { type: 'RemoveAuditDrain', teamId, data: { drainId } },
        { ...context, reason: body.reason },
      ),
    );
    // The drain is gone, and so is the key its credentials were sealed under: their ciphertext opens nowhere any more.
    if (!context.dryRun) await this.#destroyKey(drainId);
    return answer;
  }

  /** Best effort here: the answer stands; the delivery workers destroy a removed drain's key again as they see it. */
  async #destroyKey(drainId: string): Promise<void> {
    await this.secrets.destroy(drainId).catch((error: unknown) => {
      this.#logger.warn(`the key of drain ${drainId} was not destroyed yet: ${(error as Error).message}`);
    });
  }

  @Post(':drainId/resume')
  @HttpCode(HttpStatus.OK)
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @OptionalReasonBody()
  @ApiOperation({
    summary:
      'Resume a paused drain from where it stopped; it restarts the retries of a failing one (team.security.manage and team.audit.view)',
  })
  resume(
    @Param() { teamId, drainId }: AuditDrainParams,
    @Body() body: ReasonDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands
      .issue({ type: 'ResumeAuditDrain', teamId, data: { drainId } }, { ...context, reason: body.reason })
      .then(acceptedAnswer);
  }
}
