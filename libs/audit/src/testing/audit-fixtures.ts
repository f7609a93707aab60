import {
  teamDecider,
  teamStreamId,
  type CommandMetadata,
  type Rejection,
  type TeamCommand,
  type TeamEvent,
} from '@access-audit/domain';
import { handleCommand, type EventStore, type RecordedEvent, type RequestContext } from '@access-audit/event-store';

let clock = Date.parse('2026-03-01T09:00:00.000Z');

/** Command metadata with a clock that moves one minute per call, so entries have distinct times. */
export function at(actorId: string, reason?: string): CommandMetadata {
  clock += 60_000;
  return { actorId, now: new Date(clock).toISOString(), ...(reason !== undefined ? { reason } : {}) };
}

export const requestContext: RequestContext = { ip: '203.0.113.7', userAgent: 'curl/8.5.0', requestId: 'req-1' };

export type Outcome = { ok: true; events: RecordedEvent[]; position: string } | { ok: false; rejection: Rejection };

/** Runs a team command through the generic command path, as the API does. */
export async function run(
  store: EventStore,
  command: TeamCommand,
  context: RequestContext = requestContext,
): Promise<Outcome> {
  const outcome = await handleCommand<ReturnType<typeof teamDecider.initialState>, TeamCommand, TeamEvent, Rejection>(
    store,
    teamStreamId(command.teamId),
    teamDecider,
    command,
    { metadata: { actorId: command.metadata.actorId, requestContext: context, correlationId: context.requestId } },
  );
  return outcome.ok
    ? { ok: true, events: outcome.events, position: outcome.position }
    : { ok: false, rejection: outcome.rejection };
}

export async function mustRun(store: EventStore, command: TeamCommand): Promise<RecordedEvent[]> {
  const outcome = await run(store, command);
  if (!outcome.ok) throw new Error(`${command.type} refused: ${outcome.rejection.message}`);
  return outcome.events;
}

/**
 * An Enterprise team's first weeks: owners, a security member, a developer with a production group, a contributor
 * with a project role, a firewall change and a removal.
 */
export async function enterpriseHistory(store: EventStore, teamId = 'acme'): Promise<void> {
  const c = <T extends TeamCommand>(command: Omit<T, 'teamId'>): T => ({ ...command, teamId }) as T;
  await mustRun(store, c({ type: 'CreateTeam', data: { name: 'Acme', plan: 'enterprise' }, metadata: at('alice') }));
  await mustRun(
    store,
    c({ type: 'AddMember', data: { userId: 'bob', role: 'owner' }, metadata: at('alice', 'second owner') }),
  );
  await mustRun(store, c({ type: 'AddMember', data: { userId: 'sec', role: 'security' }, metadata: at('alice') }));
  await mustRun(store, c({ type: 'AddMember', data: { userId: 'dev', role: 'developer' }, metadata: at('bob') }));
  await mustRun(
    store,
    c({
      type: 'GrantPermissionGroup',
      data: { userId: 'dev', group: 'full_production_deployment' },
      metadata: at('bob', 'on call'),
    }),
  );
  await mustRun(store, c({ type: 'CreateProject', data: { projectId: 'web', name: 'Web' }, metadata: at('alice') }));
  await mustRun(store, c({ type: 'AddMember', data: { userId: 'carol', role: 'contributor' }, metadata: at('alice') }));
  await mustRun(
    store,
    c({
      type: 'AssignProjectRole',
      data: { projectId: 'web', userId: 'carol', role: 'project_admin' },
      metadata: at('alice'),
    }),
  );
  await mustRun(
    store,
    c({
      type: 'ChangeProjectSecurity',
      data: { projectId: 'web', changes: [{ setting: 'firewall', enabled: true }] },
      metadata: at('sec'),
    }),
  );
  await mustRun(store, c({ type: 'AddMember', data: { userId: 'dan', role: 'contributor' }, metadata: at('alice') }));
}
