import { Controller, Get, Header, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuditLog, InvalidCursorError, type AuditFilter, type AuditSummary } from '@access-audit/audit';
import { Principal, Public } from '../auth/principal';
import { problem, ProblemException, problemTypes, validationProblem } from '../http/problem';
import { TeamPathDto } from '../queries/dto/queries.dto';
import { AUDIT_LOG } from './audit-log.provider';
import { AuditReadAccess } from './audit-read-access';
import { AuditPageDto, AuditSummaryDto, AuditVerificationDto } from './dto/audit-answers.dto';
import { AuditQueryDto, AuditReadOptionsDto, AuditWindowDto } from './dto/audit-queries.dto';
import { QueryRoute } from '../queries/query-route';
import { PERSONAL_DATA } from '../privacy/privacy.module';
import type { PersonalData } from '@access-audit/privacy';

/** How long an audit query waits for `minPosition` before answering 503 (API.md "Queries"). */
const minPositionWaitMs = 5000;
const defaultPageSize = 100;

const positionHeader = {
  'X-Position': { description: 'The last team event whose audit entry is indexed', schema: { type: 'string' } },
};

/** The audit log of API.md: entries (pages and streamed exports), chain verification, compliance summary, public key. */
@ApiTags('audit')
@Controller('v1')
export class AuditController {
  constructor(
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
    private readonly access: AuditReadAccess,
    @Inject(PERSONAL_DATA) private readonly personalData: PersonalData,
  ) {}

  @Get('teams/:teamId/audit')
  @AuditReadRoute()
  @ApiOperation({
    summary: 'Audit entries, oldest first: cursor pages (json), or the whole selection streamed (ndjson, csv)',
    description:
      'One entry per access change (actor, action, target, before/after, reason, request context, source event position, policyVersion) ' +
      'and per refused command (`access.denied`: what was tried and which permission or rule refused it; rate-limited per actor, ' +
      '`denial.suppressedBefore` counts the attempts not recorded one by one). Needs team.audit.view.',
  })
  @ApiExtraModels(AuditPageDto)
  @ApiOkResponse({
    headers: positionHeader,
    content: {
      'application/json': { schema: { $ref: getSchemaPath(AuditPageDto) } },
      'application/x-ndjson': {
        schema: {
          type: 'string',
          description:
            'format=ndjson: one JSON record per line, oldest first: entries (AuditEntryDto) and signed checkpoints',
        },
      },
      'text/csv': { schema: { type: 'string', description: 'format=csv: a header row, then one row per entry' } },
    },
  })
  async entries(
    @Param() { teamId }: TeamPathDto,
    @Query() query: AuditQueryDto,
    @Principal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.access.assertAuditReader(principal, teamId);
    await this.#settle(query.minPosition);
    this.#stamp(reply);
    const filter = filterOf(query);
    const format = query.format ?? 'json';
    if (format === 'json') {
      let page;
      try {
        page = this.audit.page(teamId, filter, query.limit ?? defaultPageSize, query.cursor);
      } catch (error) {
        if (!(error instanceof InvalidCursorError)) throw error;
        throw validationProblem([{ field: 'cursor', rule: 'isCursor', message: error.message }]);
      }
      // Opened at answer time: the text, or "[erased]"; the index keeps the sealed values.
      const entries = await this.personalData.reveal(page.entries);
      await reply.type('application/json').send({ teamId, entries, nextCursor: page.nextCursor });
      return;
    }
    const stream = await this.audit.export(teamId, format, filter);
    await reply
      .header('Cache-Control', 'no-store')
      .header('Content-Disposition', `attachment; filename="audit-${teamId}.${format}"`)
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .send(stream);
  }

  @Get('teams/:teamId/audit/verify')
  @AuditReadRoute()
  @ApiOperation({
    summary:
      "Recomputes the team's hash chain and checkpoint signatures from the event store, and each change entry from its source event; names the first break and every difference",
    description:
      '`valid` only when the chain holds, every change entry is what its source team or campaign event gives (`sources`: differences by field, audited events without an entry, entries without their event), and the unsigned tail (`unsignedTail`) is within 100 entries and 60 s. Pass `minPosition` to verify after the entries of a command are recorded.',
  })
  @ApiOkResponse({ type: AuditVerificationDto })
  async verify(
    @Param() { teamId }: TeamPathDto,
    @Query() query: AuditReadOptionsDto,
    @Principal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuditVerificationDto> {
    await this.access.assertAuditReader(principal, teamId);
    await this.#settle(query.minPosition);
    this.#stamp(reply);
    const { teamId: _verifiedTeam, sources, ...result } = await this.audit.verify(teamId);
    // Over the store the sources are always compared.
    return { teamId, ...result, sources: sources! };
  }

  @Get('teams/:teamId/audit/summary')
  @AuditReadRoute()
  @ApiOperation({
    summary: 'Compliance summary of a window: changes by type and actor, privileged grants, denied attempts, findings',
  })
  @ApiOkResponse({ type: AuditSummaryDto, headers: positionHeader })
  async summary(
    @Param() { teamId }: TeamPathDto,
    @Query() query: AuditWindowDto,
    @Principal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuditSummary> {
    await this.access.assertAuditReader(principal, teamId);
    await this.#settle(query.minPosition);
    this.#stamp(reply);
    const summary = await this.audit.summary(teamId, {
      ...(query.from ? { from: query.from } : {}),
      ...(query.to ? { to: query.to } : {}),
    });
    return (await this.personalData.reveal(summary)) as unknown as AuditSummary;
  }

  @Get('audit/public-key')
  @Public()
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'The Ed25519 public key (PEM, SPKI) that verifies audit checkpoints and signed evidence; no token needed',
  })
  @ApiOkResponse({
    description: 'PEM text; `X-Key-Id` is the key id checkpoints name',
    content: { 'application/x-pem-file': { schema: { type: 'string' } } },
  })
  async publicKey(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('X-Key-Id', this.audit.keyId).type('application/x-pem-file').send(this.audit.publicKeyPem);
  }

  async #settle(minPosition: string | undefined): Promise<void> {
    if (minPosition === undefined) return;
    let reached: boolean;
    try {
      reached = await this.audit.waitUntilIndexed(minPosition, minPositionWaitMs);
    } catch {
      throw validationProblem([
        { field: 'minPosition', rule: 'isPosition', message: 'minPosition must be a position this service returned' },
      ]);
    }
    if (!reached) {
      throw new ProblemException(
        problem(
          503,
          problemTypes.unavailable,
          `the audit log has not indexed every event up to position ${minPosition} yet; retry shortly`,
        ),
        { 'Retry-After': '1' },
      );
    }
  }

  #stamp(reply: FastifyReply): void {
    const position = this.audit.indexedThrough;
    if (position !== undefined) void reply.header('X-Position', position);
  }
}

function filterOf(query: AuditQueryDto): AuditFilter {
  const filter: AuditFilter = {};
  for (const key of ['actor', 'subject', 'projectId', 'type', 'from', 'to'] as const) {
    if (query[key] !== undefined) filter[key] = query[key];
  }
  return filter;
}

function AuditReadRoute(): MethodDecorator {
  return QueryRoute({
    forbidden: 'Only team.audit.view reads the audit log (`permission: team.audit.view`); access:read tokens never do',
    notFound: 'No such team',
    unavailable:
      '`minPosition` not indexed within 5 s (retry after `Retry-After`); or the team is quarantined at an event that could not be applied (`teamId`, `event`)',
  });
}
