import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Param, Post, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommandContext } from './command-context';
import { CommandRoute } from './command-route';
import { CommandAcceptedDto, ProjectCreatedDto } from './dto/command-accepted.dto';
import { OptionalReasonBody, ReasonDto } from './dto/common.dto';
import { AssignProjectRoleDto, CreateProjectDto, ProjectMemberParams, ProjectParams } from './dto/projects.dto';
import { TeamParams } from './dto/teams.dto';
import {
  ExecuteTeamCommand,
  isPreview,
  type TeamCommandAnswer,
  type TeamCommandContext,
  type TeamCommandPreviewed,
} from './execute-team-command';

@ApiTags('projects')
@Controller('v1/teams/:teamId/projects')
export class ProjectsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @CommandRoute({ answer: ProjectCreatedDto, status: 201 })
  @ApiOperation({ summary: 'Create a project (project.create)' })
  async create(
    @Param() { teamId }: TeamParams,
    @Body() body: CreateProjectDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<ProjectCreatedDto | TeamCommandPreviewed> {
    const projectId = body.id ?? randomUUID();
    const accepted = await this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'CreateProject', teamId, data: { projectId, name: body.name } },
        { ...context, reason: body.reason },
      ),
    );
    return isPreview(accepted) ? accepted : { projectId, ...accepted };
  }

  @Delete(':projectId')
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @ApiOperation({ summary: "Delete a project (project.delete); contributors' roles on it end with their own events" })
  @OptionalReasonBody()
  delete(
    @Param() { teamId, projectId }: ProjectParams,
    @Body() body: ReasonDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'DeleteProject', teamId, data: { projectId } },
        { ...context, reason: body.reason },
      ),
    );
  }

  @Put(':projectId/members/:userId')
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @ApiOperation({ summary: "Assign a contributor's project role (project.members.manage)" })
  assignRole(
    @Param() { teamId, projectId, userId }: ProjectMemberParams,
    @Body() body: AssignProjectRoleDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'AssignProjectRole', teamId, data: { projectId, userId, role: body.role } },
        { ...context, reason: body.reason },
      ),
    );
  }

  @Delete(':projectId/members/:userId')
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @ApiOperation({ summary: "Revoke a contributor's project role (project.members.manage)" })
  @OptionalReasonBody()
  revokeRole(
    @Param() { teamId, projectId, userId }: ProjectMemberParams,
    @Body() body: ReasonDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'RevokeProjectRole', teamId, data: { projectId, userId } },
        { ...context, reason: body.reason },
      ),
    );
  }
}
