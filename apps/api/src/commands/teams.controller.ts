import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, HttpStatus, Param, Patch, Post, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommandContext } from './command-context';
import { CommandRoute } from './command-route';
import { CommandAcceptedDto, TeamCreatedDto } from './dto/command-accepted.dto';
import { ChangePlanDto, CreateTeamDto, RenameTeamDto, TeamParams } from './dto/teams.dto';
import {
  ExecuteTeamCommand,
  isPreview,
  type TeamCommandAnswer,
  type TeamCommandContext,
  type TeamCommandPreviewed,
} from './execute-team-command';

@ApiTags('teams')
@Controller('v1/teams')
export class TeamsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @CommandRoute({ answer: TeamCreatedDto, status: 201 })
  @ApiOperation({ summary: 'Create a team; the caller becomes its first owner' })
  async create(
    @Body() body: CreateTeamDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCreatedDto | TeamCommandPreviewed> {
    const teamId = body.id ?? randomUUID();
    const accepted = await this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'CreateTeam', teamId, data: { name: body.name, plan: body.plan } },
        { ...context, reason: body.reason },
      ),
    );
    return isPreview(accepted) ? accepted : { teamId, ...accepted };
  }

  @Patch(':teamId')
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @ApiOperation({ summary: 'Rename the team (team.settings.manage)' })
  rename(
    @Param() { teamId }: TeamParams,
    @Body() body: RenameTeamDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'RenameTeam', teamId, data: { name: body.name } },
        { ...context, reason: body.reason },
      ),
    );
  }

  @Put(':teamId/plan')
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @ApiOperation({
    summary: 'Change the plan (team.plan.manage: owner); refused while a grant the new plan forbids remains',
  })
  changePlan(
    @Param() { teamId }: TeamParams,
    @Body() body: ChangePlanDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'ChangePlan', teamId, data: { plan: body.plan } },
        { ...context, reason: body.reason },
      ),
    );
  }
}
