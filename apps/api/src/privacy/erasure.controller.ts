import { Body, Controller, HttpCode, HttpStatus, Inject, Module, Param, Post, UseInterceptors } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { TeamCommands } from '@access-audit/application';
import { teamStreamPrefix } from '@access-audit/domain';
import type { EventStore } from '@access-audit/event-store';
import type { SubjectKeys } from '@access-audit/privacy';
import { Principal } from '../auth/principal';
import { CommandContext } from '../commands/command-context';
import { NoPreviewQueryInterceptor } from '../commands/command-query';
import { CommandsModule } from '../commands/commands.module';
import type { TeamCommandContext } from '../commands/execute-team-command';
import { acceptedAnswer } from '../commands/execute-team-command.handler';
import { TEAM_COMMANDS } from '../commands/team-commands.provider';
import { EVENT_STORE } from '../event-store/event-store.module';
import { problem, ProblemException, problemTypes, validationProblem } from '../http/problem';
import { problemContent } from '../http/problem.dto';
import { ErasureAnswerDto, ErasureRequestDto, SubjectPathDto } from './erasure.dto';
import { PERSONAL_DATA } from './privacy.module';

/** The token scope of an operator who may erase a subject's personal data (POLICY.md "Who acts, beyond people"). */
export const privacyEraseScope = 'privacy:erase';

/** Every team the subject ever belonged to: created it, or was added (by hand or by a directory). */
async function teamsOf(store: EventStore, userId: string): Promise<string[]> {
  const teams = new Set<string>();
  for await (const event of store.readAll({
    streamPrefixes: [teamStreamPrefix],
    eventTypes: ['TeamCreated', 'MemberAdded'],
  })) {
    const data = event.data as { teamId?: unknown; userId?: unknown; ownerId?: unknown };
    if (typeof data.teamId === 'string' && (data.userId === userId || data.ownerId === userId)) teams.add(data.teamId);
  }
  return [...teams].sort();
}

@ApiTags('privacy')
@Controller('v1/subjects')
export class ErasureController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERSONAL_DATA) private readonly keys: SubjectKeys,
    @Inject(TEAM_COMMANDS) private readonly commands: TeamCommands,
  ) {}

  @Post(':userId/erasure')
  @HttpCode(HttpStatus.OK)
  // Keys destroyed cannot come back: a preview (dryRun=true) or any other query parameter is refused, never ignored.
  @UseInterceptors(NoPreviewQueryInterceptor)
  @ApiBearerAuth()
  @ApiOperation({
    summary: "Erase a subject's personal data everywhere (a token with scope privacy:erase)",
    description:
      'Destroys the subject\'s keys (their IP addresses and user agents, their directory name and e-mail, texts they wrote and reasons written about their access read as "[erased]" from then on), then records `SubjectErased` in every team they belonged to. Ids, roles and permissions stay: who granted what to whom stays provable. Repeating it is harmless.',
  })
  @ApiOkResponse({ type: ErasureAnswerDto })
  @ApiBadRequestResponse({ description: 'Invalid user id or reason (`errors[]`)', content: problemContent })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid bearer token', content: problemContent })
  @ApiForbiddenResponse({
    description: 'The token lacks scope `privacy:erase` (`permission`)',
    content: problemContent,
  })
  @ApiServiceUnavailableResponse({
    description:
      'The keys are destroyed, but a team could not record the erasure (its stream unreadable or kept moving): repeat the request after `Retry-After`',
    content: problemContent,
  })
  async erase(
    @Param() { userId }: SubjectPathDto,
    @Body() body: ErasureRequestDto,
    @Principal() principal: Principal,
    @CommandContext() context: TeamCommandContext,
  ): Promise<ErasureAnswerDto> {
    if (!principal.scopes.includes(privacyEraseScope)) {
      throw new ProblemException(
        problem(403, problemTypes.forbidden, `erasing personal data needs a token with scope ${privacyEraseScope}`, {
          permission: privacyEraseScope,
        }),
      );
    }
    if (context.expectedRevision !== undefined) {
      throw validationProblem([
        {
          field: 'If-Match',
          rule: 'notAccepted',
          message:
            "If-Match is not accepted here: an erasure records in every team of the subject, not at one team's revision",
        },
      ]);
    }
    const teams = await teamsOf(this.store, userId);
    // The keys go first: from here on nothing of the subject can be opened, whatever happens to the records below.
    const keysDestroyed = await this.keys.erase(userId);
    const recorded = [];
    const unrecorded: string[] = [];
    for (const teamId of teams) {
      try {
        const outcome = await this.commands.issue(
          { type: 'RecordSubjectErasure', teamId, data: { userId } },
          { ...context, dryRun: false, reason: body.reason },
        );
        const accepted = acceptedAnswer(outcome);
        recorded.push({ teamId, recorded: accepted.events.length > 0 });
      } catch {
        // One team that cannot record it (unreadable, in conflict) must not leave the subject's other teams unrecorded.
        unrecorded.push(teamId);
      }
    }
    if (unrecorded.length > 0) {
      throw new ProblemException(
        problem(
          503,
          problemTypes.unavailable,
          `the subject's keys are destroyed, but the erasure could not be recorded in team(s) ${unrecorded.join(', ')}; ` +
            'repeat the request to record it there (teams that recorded it record nothing more)',
        ),
        { 'Retry-After': '5' },
      );
    }
    return { userId, keysDestroyed, teams: recorded };
  }
}

@Module({ imports: [CommandsModule], controllers: [ErasureController] })
export class ErasureModule {}
