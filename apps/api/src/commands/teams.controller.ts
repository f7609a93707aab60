import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, HttpStatus, Param, Patch, Post, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommandContext } from './command-context';
import { CommandRoute } from './command-route';
import { CommandAcceptedDto, TeamCreatedDto } from './dto/command-accepted.dto';
import { ChangePlanDto, CreateTeamDto, RenameTeamDto, TeamParams } from './dto/teams.dto';
import { ExecuteTeamCommand, type TeamCommandAccepted, type TeamCommandContext } from './execute-team-command';

@ApiTags('teams')
@Controller('v1/teams')
export class TeamsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @CommandRoute()
  @ApiOperation({ summary: 'Create a team; the caller becomes its first owner' })
  @ApiCreatedResponse({ type: TeamCreatedDto })
  async create(@Body() body: CreateTeamDto, @CommandContext() context: TeamCommandContext): Promise<TeamCreatedDto> {
    const teamId = body.id ?? randomUUID();
    const accepted = await this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'CreateTeam', teamId, data: { name: body.name, plan: body.plan } },
        { ...context, reason: body.reason },
      ),
    );
    return { teamId, ...accepted };
  }

  @Patch(':teamId')
  @CommandRoute()
  @ApiOperation({ summary: 'Rename the team (team.settings.manage)' })
  @ApiOkResponse({ type: CommandAcceptedDto })
  rename(
    @Param() { teamId }: TeamParams,
    @Body() body: RenameTeamDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAccepted> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'RenameTeam', teamId, data: { name: body.name } },
        { ...context, reason: body.reason },
      ),
    );
  }

  @Put(':teamId/plan')
  @CommandRoute()
  @ApiOperation({
    summary: 'Change the plan (team.plan.manage: owner); refused while a grant the new plan forbids remains',
  })
  @ApiOkResponse({ type: CommandAcceptedDto })
  changePlan(
    @Param() { teamId }: TeamParams,
    @Body() body: ChangePlanDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAccepted> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'ChangePlan', teamId, data: { plan: body.plan } },
        { ...context, reason: body.reason },
      ),
    );
  }
}
