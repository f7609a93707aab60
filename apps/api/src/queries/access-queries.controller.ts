import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ruleIds } from '@access-audit/domain';
import {
  teamViewOf,
  type AccessReadModels,
  type MemberPermissionGrant,
  type TeamView,
} from '@access-audit/projections';
import { instantMs } from '@access-audit/team-stream';
import { Principal } from '../auth/principal';
import { problem, ProblemException, problemTypes } from '../http/problem';
import { SynchronousRoute } from '../http/synchronous-route';
import {
  CheckAnswerDto,
  checkAnswerSchema,
  HistoryEntryDto,
  MemberHistoryAnswerDto,
  PermissionsAnswerDto,
  permissionsAnswerSchema,
  ProjectAccessAnswerDto,
  TeamViewDto,
} from './dto/answers.dto';
import {
  CheckQueryDto,
  MemberPathDto,
  PermissionsQueryDto,
  ProjectAccessQueryDto,
  ProjectPathDto,
  ReadOptionsDto,
  TeamPathDto,
} from './dto/queries.dto';
import { ReadAccess } from './read-access';
import { PERSONAL_DATA } from '../privacy/privacy.module';
import type { PersonalData } from '@access-audit/privacy';
import { ReadConsistency } from './read-consistency';
import { ACCESS_READ_MODELS } from './read-models.provider';
import { positionHeader, QueryRoute } from './query-route';

/** What Fastify's serializer labels its JSON answers with: a pre-written answer says the same. */
const jsonContentType = 'application/json; charset=utf-8';

const atOf = (at: string | undefined): number | undefined => (at === undefined ? undefined : instantMs(at));

/** The access queries of API.md: team view, check, permissions, project access lookup, member history. */
@ApiTags('queries')
@Controller('v1')
export class AccessQueriesController {
  /** The JSON of each current permissions list (frozen, built once per change of its team by the read model). */
  readonly #permissionsJson = new WeakMap<readonly MemberPermissionGrant[], string>();

  constructor(
    @Inject(ACCESS_READ_MODELS) private readonly models: AccessReadModels,
    private readonly consistency: ReadConsistency,
    private readonly access: ReadAccess,
    @Inject(PERSONAL_DATA) private readonly personalData: PersonalData,
  ) {}

  @Get('check')
  @QueryRoute()
  @ApiOperation({ summary: 'May the user do this (on this project), now or at an instant, and why' })
  @ApiOkResponse({ type: CheckAnswerDto, headers: positionHeader })
  @RouteSchema({ response: { 200: checkAnswerSchema } })
  @SynchronousRoute()
  check(
    @Query() query: CheckQueryDto,
    @Principal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): CheckAnswerDto | Promise<CheckAnswerDto> {
    return this.consistency.after(query.minPosition, () => {
      this.access.assertMemberReader(principal, query.teamId, query.userId);
      this.consistency.stamp(reply);
      return this.models.queries.check(query.teamId, query.userId, query.permission, query.projectId, atOf(query.at));
    });
  }

  @Get('teams/:teamId')
  @QueryRoute()
  @ApiOperation({
    summary:
      'The team: plan, members with team role, permission groups and explicit project roles, projects with security settings',
  })
  @ApiOkResponse({ type: TeamViewDto, headers: positionHeader })
  async team(
    @Param() { teamId }: TeamPathDto,
    @Query() query: ReadOptionsDto,
    @Principal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TeamView> {
    await this.consistency.settle(query.minPosition);
    const team = this.access.assertTeamReader(principal, teamId);
    this.consistency.stamp(reply);
    const at = atOf(query.at);
    // Bypass-token notes are sealed in the team state; opened here (the text, or "[erased]").
    if (at === undefined) return (await this.personalData.reveal(teamViewOf(team))) as TeamView;
    const then = await this.models.teamStateAt(teamId, at);
    if (then.status !== 'active') {
      throw new ProblemException(
        problem(404, problemTypes.notFound, `team ${teamId} did not exist at ${query.at}`, {
          rule: ruleIds.teamExists,
        }),
      );
    }
    return (await this.personalData.reveal(teamViewOf(then))) as TeamView;
  }

  @Get('teams/:teamId/permissions')
  @QueryRoute()
  @ApiOperation({
    summary:
      'Every effective permission of the selection (team-level, and per project), each with why; inherent project roles included',
  })
  @ApiOkResponse({ type: PermissionsAnswerDto, headers: positionHeader })
  @RouteSchema({ response: { 200: permissionsAnswerSchema } })
  @SynchronousRoute()
  permissions(
    @Param() { teamId }: TeamPathDto,
    @Query() query: PermissionsQueryDto,
    @Principal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): PermissionsAnswerDto | string | Promise<PermissionsAnswerDto | string> {
    return this.consistency.after(query.minPosition, () => {
      this.access.assertMemberReader(principal, teamId, query.userId);
      this.consistency.stamp(reply);
      const selection = {
        ...(query.userId !== undefined ? { userId: query.userId } : {}),
        ...(query.projectId !== undefined ? { projectId: query.projectId } : {}),
      };
      const permissions = this.models.queries.permissions(teamId, selection, atOf(query.at));
      if (query.at !== undefined || !Object.isFrozen(permissions)) {
        return { teamId, ...(query.at !== undefined ? { at: query.at } : {}), permissions };
      }
      // A current list is shared until its team changes: its JSON is written once, the answer around it per request.
      let json = this.#permissionsJson.get(permissions);
      if (json === undefined) this.#permissionsJson.set(permissions, (json = JSON.stringify(permissions)));
      void reply.type(jsonContentType);
      return `{"teamId":${JSON.stringify(teamId)},"permissions":${json}}`;
    });
  }

  @Get('teams/:teamId/projects/:projectId/access')
  @QueryRoute()
  @ApiOperation({ summary: 'Who holds the permission on the project (now or at an instant), each with why' })
  @ApiOkResponse({ type: ProjectAccessAnswerDto, headers: positionHeader })
  async projectAccess(
    @Param() { teamId, projectId }: ProjectPathDto,
    @Query() query: ProjectAccessQueryDto,
    @Principal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProjectAccessAnswerDto> {
    await this.consistency.settle(query.minPosition);
    const team = this.access.assertTeamReader(principal, teamId);
    const at = atOf(query.at);
    if (at === undefined && !team.projects.has(projectId)) {
      throw new ProblemException(
        problem(404, problemTypes.notFound, `project ${projectId} does not exist`, { rule: ruleIds.projectExists }),
      );
    }
    this.consistency.stamp(reply);
    return {
      teamId,
      projectId,
      permission: query.permission,
      ...(query.at !== undefined ? { at: query.at } : {}),
      users: this.models.queries.projectAccess(teamId, projectId, query.permission, at),
    };
  }

  @Get('teams/:teamId/members/:userId/history')
  @QueryRoute()
  @ApiOperation({
    summary:
      "The member's access timeline in this team: each change with time, actor, reason, before, after and the permissions it changed",
  })
  @ApiOkResponse({ type: MemberHistoryAnswerDto, headers: positionHeader })
  async history(
    @Param() { teamId, userId }: MemberPathDto,
    @Query() query: ReadOptionsDto,
    @Principal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MemberHistoryAnswerDto> {
    await this.consistency.settle(query.minPosition);
    this.access.assertMemberReader(principal, teamId, userId);
    this.consistency.stamp(reply);
    // The read model keeps reasons sealed; opened here, at answer time (the text, or "[erased]").
    const entries = await this.personalData.reveal(this.models.queries.memberHistory(teamId, userId, atOf(query.at)));
    return { teamId, userId, entries: entries as unknown as HistoryEntryDto[] };
  }
}
