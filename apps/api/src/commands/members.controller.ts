import { Body, Controller, Delete, Param, Post, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommandContext } from './command-context';
import { CommandRoute } from './command-route';
import { CommandAcceptedDto } from './dto/command-accepted.dto';
import { OptionalReasonBody, ReasonDto } from './dto/common.dto';
import { AddMemberDto, ChangeTeamRoleDto, MemberGroupParams, MemberParams } from './dto/members.dto';
import { TeamParams } from './dto/teams.dto';
import { ExecuteTeamCommand, type TeamCommandAnswer, type TeamCommandContext } from './execute-team-command';

@ApiTags('members')
@Controller('v1/teams/:teamId/members')
export class MembersController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @CommandRoute({ answer: CommandAcceptedDto, status: 201 })
  @ApiOperation({ summary: 'Add a member with a team role (team.members.invite: owner)' })
  add(
    @Param() { teamId }: TeamParams,
    @Body() body: AddMemberDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'AddMember', teamId, data: { userId: body.userId, role: body.role } },
        { ...context, reason: body.reason },
      ),
    );
  }

  @Put(':userId/role')
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @ApiOperation({
    summary:
      "Change a member's team role (team.members.roles.manage: owner); grants the new role cannot hold end with their own events",
  })
  changeRole(
    @Param() { teamId, userId }: MemberParams,
    @Body() body: ChangeTeamRoleDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'ChangeTeamRole', teamId, data: { userId, role: body.role } },
        { ...context, reason: body.reason },
      ),
    );
  }

  @Delete(':userId')
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @ApiOperation({
    summary: 'Remove a member and end all their grants (owner; anyone may remove themselves, except the last owner)',
  })
  @OptionalReasonBody()
  remove(
    @Param() { teamId, userId }: MemberParams,
    @Body() body: ReasonDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands.execute(
      new ExecuteTeamCommand({ type: 'RemoveMember', teamId, data: { userId } }, { ...context, reason: body.reason }),
    );
  }

  @Put(':userId/permission-groups/:group')
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @ApiOperation({ summary: 'Grant a permission group (team.permission-groups.manage: owner)' })
  @OptionalReasonBody()
  grantGroup(
    @Param() { teamId, userId, group }: MemberGroupParams,
    @Body() body: ReasonDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'GrantPermissionGroup', teamId, data: { userId, group } },
        { ...context, reason: body.reason },
      ),
    );
  }

  @Delete(':userId/permission-groups/:group')
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @ApiOperation({ summary: 'Revoke a permission group (team.permission-groups.manage: owner)' })
  @OptionalReasonBody()
  revokeGroup(
    @Param() { teamId, userId, group }: MemberGroupParams,
    @Body() body: ReasonDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'RevokePermissionGroup', teamId, data: { userId, group } },
        { ...context, reason: body.reason },
      ),
    );
  }
}
