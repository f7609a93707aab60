/**
 * A generated history for the projection benchmark: many Enterprise teams, each a long run of commands decided by the
 * domain on the folded state (rejected ones leave nothing), appended to an event store in large batches.
 */
import { randomUUID } from 'node:crypto';
import {
  decide,
  evolve,
  initialTeamState,
  permissionGroups,
  projectRoles,
  teamStreamId,
  type ActiveTeam,
  type SecurityChange,
  type TeamCommand,
  type TeamEvent,
  type TeamRole,
  type TeamState,
} from '@access-audit/domain';
import type { EventStore, EventToAppend } from '@access-audit/event-store';

/** mulberry32: a small seeded generator, so two runs generate the same history. */
/** Team events as the store takes them: a fresh id each, the actor in the metadata as the command path records it. */
export const toAppend = (events: readonly TeamEvent[]): EventToAppend[] =>
  events.map((event) => ({
    id: randomUUID(),
    type: event.type,
    data: event.data,
    metadata: { actorId: event.data.actorId },
  }));

export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const enterpriseRoles: TeamRole[] = [
  'member',
  'developer',
  'developer',
  'security',
  'billing',
  'enterprise_viewer',
  'contributor',
  'contributor',
];

export interface GeneratedHistory {
  events: number;
  teams: number;
}

/** Appends teams of about `eventsPerTeam` events until `totalEvents` are stored. */
export async function generateHistory(
  store: EventStore,
  options: { totalEvents: number; eventsPerTeam: number; seed?: number; onProgress?: (events: number) => void },
): Promise<GeneratedHistory> {
  const random = seededRandom(options.seed ?? 42);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  let total = 0;
  let teams = 0;
  const start = Date.parse('2024-01-01T00:00:00.000Z');
  while (total < options.totalEvents) {
    const teamId = `team${String(teams).padStart(5, '0')}`;
    let state: TeamState = initialTeamState();
    let clock = start + teams * 1000;
    let nextUser = 0;
    let nextProject = 0;
    const pending: TeamEvent[] = [];
    let revision = -1;
    const flush = async (): Promise<void> => {
      if (!pending.length) return;
      const appended = await store.append(
        teamStreamId(teamId),
        toAppend(pending),
        revision === -1 ? 'no_stream' : revision,
      );
      revision = appended.streamRevision;
      total += pending.length;
      pending.length = 0;
      options.onProgress?.(total);
    };
    const run = (body: Pick<TeamCommand, 'type' | 'data'>): void => {
      clock += 60_000 + Math.floor(random() * 3_600_000);
      const command = {
        ...body,
        teamId,
        metadata: { actorId: 'owner', now: new Date(clock).toISOString() },
      } as TeamCommand;
      const decision = decide(command, state);
      if (!decision.ok) return;
      for (const event of decision.events) {
        state = evolve(state, event);
        pending.push(event);
      }
    };
    run({ type: 'CreateTeam', data: { name: teamId, plan: 'enterprise' } });
    for (let i = 0; i < 8; i++)
      run({ type: 'CreateProject', data: { projectId: `p${nextProject++}`, name: 'Project' } });
    for (let i = 0; i < 25; i++)
      run({ type: 'AddMember', data: { userId: `u${nextUser++}`, role: pick(enterpriseRoles) } });

    const budget = Math.min(options.eventsPerTeam, options.totalEvents - total);
    let produced = pending.length;
    while (produced < budget) {
      const team = state as ActiveTeam;
      const members = [...team.members.keys()].filter((id) => id !== 'owner');
      const contributors = members.filter((id) => team.members.get(id)!.role.value === 'contributor');
      const projects = [...team.projects.keys()];
      const before = pending.length;
      // A month of a large team: mostly security-setting work and contributors moving between projects, some grants,
      // fewer role changes, hires, departures and project churn.
      const roll = random();
      if (roll < 0.55 && projects.length) {
        const change: SecurityChange =
          random() < 0.5
            ? { setting: 'firewall', enabled: random() < 0.5 }
            : { setting: 'vercelAuthentication', scope: pick(['none', 'preview', 'all'] as const) };
        run({ type: 'ChangeProjectSecurity', data: { projectId: pick(projects), changes: [change] } });
      } else if (roll < 0.67 && contributors.length && projects.length) {
        run({
          type: 'AssignProjectRole',
          data: { projectId: pick(projects), userId: pick(contributors), role: pick(projectRoles) },
        });
      } else if (roll < 0.73 && contributors.length) {
        const userId = pick(contributors);
        const held = [...team.members.get(userId)!.projectRoles.keys()];
        if (held.length) run({ type: 'RevokeProjectRole', data: { projectId: pick(held), userId } });
      } else if (roll < 0.79 && members.length) {
        run({ type: 'GrantPermissionGroup', data: { userId: pick(members), group: pick(permissionGroups) } });
      } else if (roll < 0.83 && members.length) {
        const userId = pick(members);
        const held = [...team.members.get(userId)!.permissionGroups.keys()] as Array<(typeof permissionGroups)[number]>;
        if (held.length) run({ type: 'RevokePermissionGroup', data: { userId, group: pick(held) } });
      } else if (roll < 0.88 && members.length) {
        run({ type: 'ChangeTeamRole', data: { userId: pick(members), role: pick(enterpriseRoles) } });
      } else if (roll < 0.93) {
        if (members.length < 40)
          run({ type: 'AddMember', data: { userId: `u${nextUser++}`, role: pick(enterpriseRoles) } });
      } else if (roll < 0.96 && members.length > 15) {
        run({ type: 'RemoveMember', data: { userId: pick(members) } });
      } else if (roll < 0.98) {
        if (projects.length < 14)
          run({ type: 'CreateProject', data: { projectId: `p${nextProject++}`, name: 'Project' } });
      } else if (projects.length > 4) {
        run({ type: 'DeleteProject', data: { projectId: pick(projects) } });
      }
      produced += pending.length - before;
      if (pending.length >= 2000) await flush();
    }
    await flush();
    teams += 1;
  }
  return { events: total, teams };
}

/**
 * `teams` small teams (one project, an owner and two members: four events each), appended a few hundred teams at a
 * time so that the store's group commit shares transactions between them.
 */
export async function generateSmallTeams(
  store: EventStore,
  options: { teams: number; onProgress?: (teams: number) => void },
): Promise<GeneratedHistory> {
  const start = Date.parse('2024-01-01T00:00:00.000Z');
  const commandsOf = (teamId: string): Array<Pick<TeamCommand, 'type' | 'data'>> => [
    { type: 'CreateTeam', data: { name: teamId, plan: 'enterprise' } },
    { type: 'CreateProject', data: { projectId: 'p0', name: 'Project' } },
    { type: 'AddMember', data: { userId: 'u0', role: 'developer' } },
    { type: 'AddMember', data: { userId: 'u1', role: 'member' } },
  ];
  let events = 0;
  const appendTeam = async (index: number): Promise<void> => {
    const teamId = `small${String(index).padStart(6, '0')}`;
    let state: TeamState = initialTeamState();
    const pending: TeamEvent[] = [];
    commandsOf(teamId).forEach((body, step) => {
      const command = {
        ...body,
        teamId,
        metadata: { actorId: 'owner', now: new Date(start + index * 1000 + step).toISOString() },
      } as TeamCommand;
      const decision = decide(command, state);
      if (!decision.ok) throw new Error(`small team command refused: ${decision.rejection.message}`);
      for (const event of decision.events) {
        state = evolve(state, event);
        pending.push(event);
      }
    });
    await store.append(teamStreamId(teamId), toAppend(pending), 'no_stream');
    events += pending.length;
  };
  const inFlight = 256;
  for (let first = 0; first < options.teams; first += inFlight) {
    const batch = [];
    for (let index = first; index < Math.min(options.teams, first + inFlight); index++) batch.push(appendTeam(index));
    await Promise.all(batch);
    options.onProgress?.(Math.min(options.teams, first + inFlight));
  }
  return { events, teams: options.teams };
}
