import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Body, Controller, Delete, HttpCode, HttpStatus, Inject, Param, Put } from '@nestjs/common';
import type { TeamCommands } from '@access-audit/application';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommandContext } from './command-context';
import { CommandRoute } from './command-route';
import { CommandAcceptedDto } from './dto/command-accepted.dto';
import { ConnectDirectoryDto, DirectoryConnectedDto } from './dto/directory-sync.dto';
import { OptionalReasonBody, ReasonDto } from './dto/common.dto';
import { TeamParams } from './dto/teams.dto';
import type { TeamCommandAccepted, TeamCommandContext } from './execute-team-command';
import { acceptedAnswer } from './execute-team-command.handler';
import { TEAM_COMMANDS } from './team-commands.provider';

/** The SHA-256 of a directory token: what the team stream keeps to recognise it. */
export const directoryTokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

@ApiTags('directory sync')
@Controller('v1/teams/:teamId/directory-sync')
export class DirectorySyncController {
  constructor(@Inject(TEAM_COMMANDS) private readonly commands: TeamCommands) {}

  @Put()
  @HttpCode(HttpStatus.OK)
  @CommandRoute({ answerHoldsSecret: true })
  @ApiOperation({
    summary: "Connect the team's directory, or rotate its token (team.members.roles.manage: owner; Enterprise)",
  })
  @ApiOkResponse({ type: DirectoryConnectedDto })
  async connect(
    @Param() { teamId }: TeamParams,
    @Body() body: ConnectDirectoryDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<DirectoryConnectedDto> {
    // 256 random bits: the token is a bearer secret; only its hash enters the command and the log.
    const token = `scim_${randomBytes(32).toString('base64url')}`;
    const outcome = await this.commands.issue(
      {
        type: 'ConnectDirectory',
        teamId,
        data: { directoryId: `dir_${randomUUID()}`, name: body.name, tokenHash: directoryTokenHash(token) },
      },
      { ...context, reason: body.reason },
    );
    const accepted = acceptedAnswer(outcome);
    // Connected or rotated, the event names the directory (a rotation keeps the id it was connected with).
    const directoryId = outcome.ok ? (outcome.events[0]!.data as { directoryId: string }).directoryId : '';
    return { ...accepted, directoryId, scimBaseUrl: `/scim/v2/${directoryId}`, token };
  }

  @Delete()
  @CommandRoute()
  @OptionalReasonBody()
  @ApiOperation({ summary: "Disconnect the team's directory; members it provisioned stay (team.members.roles.manage)" })
  @ApiOkResponse({ type: CommandAcceptedDto })
  async disconnect(
    @Param() { teamId }: TeamParams,
    @Body() body: ReasonDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAccepted> {
    return this.commands
      .issue({ type: 'DisconnectDirectory', teamId, data: {} }, { ...context, reason: body.reason })
      .then(acceptedAnswer);
  }
}
