import { Body, Controller, Delete, Param, Patch, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommandContext } from './command-context';
import { CommandRoute } from './command-route';
import { CommandAcceptedDto } from './dto/command-accepted.dto';
import { OptionalReasonBody, ReasonDto } from './dto/common.dto';
import { ProjectParams } from './dto/projects.dto';
import {
  BypassTokenParams,
  ChangeProjectSecurityDto,
  RecordBypassTokenDto,
  securityChangesOf,
} from './dto/security.dto';
import { ExecuteTeamCommand, type TeamCommandAnswer, type TeamCommandContext } from './execute-team-command';

@ApiTags('project security')
@Controller('v1/teams/:teamId/projects/:projectId/security')
export class SecurityController {
  constructor(private readonly commands: CommandBus) {}

  @Patch()
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @ApiOperation({
    summary: 'Change security settings, all or nothing: one event per changed setting, with before and after',
    description:
      'Firewall, IP blocks and rate limits need project.firewall.manage; Vercel Authentication and password protection need project.protection.manage. ' +
      'No password is ever sent or stored: `passwordProtection.rotated: true` records that the platform replaced it. Unknown fields (a `password`, say) are refused.',
  })
  change(
    @Param() { teamId, projectId }: ProjectParams,
    @Body() body: ChangeProjectSecurityDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'ChangeProjectSecurity', teamId, data: { projectId, changes: securityChangesOf(body) } },
        { ...context, reason: body.reason },
      ),
    );
  }

  @Post('bypass-tokens')
  @CommandRoute({ answer: CommandAcceptedDto, status: 201 })
  @ApiOperation({
    summary:
      'Record a protection-bypass token the platform minted: id and fingerprint only (project.protection.manage)',
  })
  recordBypassToken(
    @Param() { teamId, projectId }: ProjectParams,
    @Body() body: RecordBypassTokenDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    const change = {
      setting: 'bypassToken.record' as const,
      tokenId: body.tokenId,
      ...(body.fingerprint !== undefined ? { fingerprint: body.fingerprint } : {}),
      ...(body.note !== undefined ? { note: body.note } : {}),
    };
    return this.commands.execute(
      new ExecuteTeamCommand(
        { type: 'ChangeProjectSecurity', teamId, data: { projectId, changes: [change] } },
        { ...context, reason: body.reason },
      ),
    );
  }

  @Delete('bypass-tokens/:tokenId')
  @CommandRoute({ answer: CommandAcceptedDto, status: 200 })
  @ApiOperation({ summary: 'Record the revocation of a bypass token (project.protection.manage)' })
  @OptionalReasonBody()
  revokeBypassToken(
    @Param() { teamId, projectId, tokenId }: BypassTokenParams,
    @Body() body: ReasonDto,
    @CommandContext() context: TeamCommandContext,
  ): Promise<TeamCommandAnswer> {
    return this.commands.execute(
      new ExecuteTeamCommand(
        {
          type: 'ChangeProjectSecurity',
          teamId,
          data: { projectId, changes: [{ setting: 'bypassToken.revoke', tokenId }] },
        },
        { ...context, reason: body.reason },
      ),
    );
  }
}
