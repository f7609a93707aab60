import type { SubjectKeys } from '@access-audit/privacy';
import { PERSONAL_DATA } from '../privacy/privacy.module';
import { Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { TeamCommands } from '@access-audit/application';
import {
  DirectoryAuthenticator,
  DirectoryProvisioning,
  DirectoryReconciler,
  DirectoryTeams,
  directoryTeamSync,
  scimErrorBody,
  type ScimRejection,
} from '@access-audit/directory-sync';
import type { EventStore, StreamLocks } from '@access-audit/event-store';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CLOCK, type Clock } from '../commands/clock';
import { CommandsModule } from '../commands/commands.module';
import { DirectoryMappingsListeners } from '../commands/directory-mappings-listeners';
import { TEAM_COMMANDS } from '../commands/team-commands.provider';
import { EVENT_STORE, STREAM_LOCKS } from '../event-store/event-store.module';
import { parseJsonBody } from '../http/json-body';
import { ScimController } from './scim.controller';
import { scimContentType } from './scim-error';

const scimPathPrefix = '/scim/v2/';
const logger = new Logger('SCIM');

/** A problem+json answer (RFC 9457) rewritten as the SCIM error (RFC 7644 §3.12) of the same status and detail. */
function problemAsScimError(reply: FastifyReply, payload: unknown): string {
  let problem: { status?: number; detail?: string } = {};
  try {
    problem = JSON.parse(String(payload)) as typeof problem;
  } catch {
    // An unreadable problem still becomes a SCIM error of the reply's status.
  }
  const status = (problem.status ?? reply.statusCode) as ScimRejection['status'];
  void reply.header('content-type', scimContentType);
  return JSON.stringify(
    scimErrorBody({
      status,
      ...(status === 400 ? { scimType: 'invalidSyntax' as const } : {}),
      detail: problem.detail ?? 'refused',
    }),
  );
}

/**
 * SCIM 2.0 for the team's connected directory (API.md "Directory sync"). The directory's writes go to its own stream;
 * the team changes they imply are team commands through `TEAM_COMMANDS`, as every team command of this process is.
 */
@Module({
  imports: [CommandsModule],
  controllers: [ScimController],
  providers: [
    {
      provide: DirectoryAuthenticator,
      inject: [EVENT_STORE, TEAM_COMMANDS],
      useFactory: (store: EventStore, commands: TeamCommands) =>
        new DirectoryAuthenticator(commands, new DirectoryTeams(store)),
    },
    {
      provide: DirectoryProvisioning,
      inject: [EVENT_STORE, STREAM_LOCKS, CLOCK, TEAM_COMMANDS, PERSONAL_DATA],
      useFactory: (store: EventStore, locks: StreamLocks, clock: Clock, commands: TeamCommands, keys: SubjectKeys) => {
        const provisioning = new DirectoryProvisioning({
          store,
          locks,
          personalData: keys,
          now: () => clock.now(),
          syncTeam: directoryTeamSync({ commands, reconciler: new DirectoryReconciler({ commands }) }),
        });
        // The folded directories hold opened names and e-mails: an erasure drops them, the next read opens afresh.
        keys.onErased(() => provisioning.forgetOpened());
        return provisioning;
      },
    },
  ],
})
export class ScimModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    listeners: DirectoryMappingsListeners,
    provisioning: DirectoryProvisioning,
  ) {
    // New mappings apply to every user the directory holds at once, not at each user's next SCIM write.
    listeners.register(async ({ teamId, directoryId, correlationId, requestContext }) => {
      const outcome = await provisioning.reconcileAll(directoryId, {
        teamId,
        correlationId,
        ...(requestContext ? { requestContext } : {}),
      });
      // A refusal is already recorded as a denial; the owner's command itself stands.
      if (!outcome.ok) logger.warn(`applying the new mappings of team ${teamId} stopped: ${outcome.rejection.detail}`);
    });
  }

  /** RFC 7644 §3.1: SCIM bodies are `application/scim+json`; read like every JSON body (bounded, no prototype keys). */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    if (fastify.hasContentTypeParser('application/scim+json')) return;
    // What is refused before a SCIM handler runs (an unparsable body, an unknown path) is answered as SCIM too.
    fastify.addHook('onSend', (request, reply, payload, done) => {
      if (
        !request.url.startsWith(scimPathPrefix) ||
        !String(reply.getHeader('content-type') ?? '').startsWith('application/problem+json')
      )
        return done(null, payload);
      done(null, problemAsScimError(reply, payload));
    });
    fastify.addContentTypeParser('application/scim+json', { parseAs: 'string' }, (_request, body, done) => {
      if (body.length === 0) return done(null, undefined);
      try {
        done(null, parseJsonBody(body.toString()));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
  }
}
