import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Body, Controller, Delete, HttpCode, HttpStatus, Inject, Param, Put } from '@nestjs/common';
import type { TeamCommands } from '@access-audit/application';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommandContext } from './command-context';
import { DirectoryMappingsListeners } from './directory-mappings-listeners';
import { CommandRoute } from './command-route';
import { CommandAcceptedDto } from './dto/command-accepted.dto';
import { ConnectDirectoryDto, DirectoryConnectedDto, SetDirectoryRoleMappingsDto } from './dto/directory-sync.dto';
import { OptionalReasonBody, ReasonDto } from './dto/common.dto';
import { TeamParams } from './dto/teams.dto';
import type { TeamCommandAnswer, TeamCommandContext, TeamCommandPreviewed } from './execute-team-command';
import { acceptedAnswer } from './execute-team-command.handler';
import { TEAM_COMMANDS } from './team-commands.provider';

/** The SHA-256 of a directory token: what the team stream keeps to recognise it. */
export const directoryTokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

/** The token hash of a previewed connection: a preview mints no token, so neither it nor a hash of it leaves. */
export const previewTokenHash = 'not-minted-in-a-preview';

@ApiTags('directory sync')
@Controller('v1/teams/:teamId/directory-sync')
export class DirectorySyncController {
  constructor(
    @Inject(TEAM_COMMANDS) private readonly commands: TeamCommands,
    private readonly mappingsListeners: DirectoryMappingsListeners,
  ) {}

  @Put()
  @HttpCode(HttpStatus.OK)
  @CommandRoute({ answerHoldsSecret: true, answer: DirectoryConnectedDto, status: 200 })
  @ApiOperation({
    summary: "Connect the team's directory, or rotate its token (team.members.roles.manage: owner; Enterprise)",
  })
  async connect(
    @Param() { teamId }: TeamParams,
    @Body() body: ConnectDirectoryDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<DirectoryConnectedDto | TeamCommandPreviewed> {
    const connect = (tokenHash: string) =>
      ({
        type: 'ConnectDirectory',
        teamId,
        data: { directoryId: `dir_${randomUUID()}`, name: body.name, tokenHash },
      }) as const;
    if (context.dryRun) {
      return acceptedAnswer(
        await this.commands.issue(connect(previewTokenHash), { ...context, dryRun: true, reason: body.reason }),
      );
    }
    // 256 random bits: the token is a bearer secret; only its hash enters the command and the log.
    const token = `scim_${randomBytes(32).toString('base64url')}`;
    const outcome = await this.commands.issue(connect(directoryTokenHash(token)), {
      ...context,
      dryRun: false,
      reason: body.reason,
    });
    const accepted = acceptedAnswer(outcome);
    // Connected or rotated, the event names the directory (a rotation keeps the id it was connected with).
    const connected = outcome.ok ? (outcome.events[0]!.data as { directoryId: string }).directoryId : '';
    return { ...accepted, directoryId: connected, scimBaseUrl: `/scim/v2/${connected}`, token };
  }

  @Put('role-mappings')
  @HttpCode(HttpStatus.OK)
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @ApiOperation({
    summary: "Set the directory's role mappings: directory groups → team role and/or permission groups (owner)",
  })
  async setRoleMappings(
    @Param() { teamId }: TeamParams,
    @Body() body: SetDirectoryRoleMappingsDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer | TeamCommandPreviewed> {
    const mappings = body.mappings.map((m) => ({
      group: m.group,
      ...(m.role !== undefined ? { role: m.role } : {}),
      ...(m.permissionGroups !== undefined ? { permissionGroups: m.permissionGroups } : {}),
    }));
    const answer = acceptedAnswer(
      await this.commands.issue(
        { type: 'SetDirectoryRoleMappings', teamId, data: { mappings } },
        { ...context, reason: body.reason },
      ),
    );
    if (context.dryRun) return answer;
    // Set again unchanged appends nothing, yet still reconciles: the way to retry one that stopped at a refusal.
    const { state } = await this.commands.current(teamId);
    const directoryId = state.status === 'active' ? state.directory?.directoryId : undefined;
    if (directoryId !== undefined) {
      await this.mappingsListeners.mappingsSet({
        teamId,
        directoryId,
        correlationId: context.correlationId,
        ...(context.requestContext ? { requestContext: context.requestContext } : {}),
      });
    }
    return answer;
  }

  @Delete()
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @OptionalReasonBody()
  @ApiOperation({ summary: "Disconnect the team's directory; members it provisioned stay (team.members.roles.manage)" })
  async disconnect(
    @Param() { teamId }: TeamParams,
    @Body() body: ReasonDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands
      .issue({ type: 'DisconnectDirectory', teamId, data: {} }, { ...context, reason: body.reason })
      .then(acceptedAnswer);
  }
}
