/**
 * Conflicting team commands from many clients spread over several API instances, each command sent with an
 * `Idempotency-Key` and an `X-Request-Id` naming the command and the attempt (`<key>.<attempt>`), so that the events a
 * command caused can be found in the store by their correlation id. A client whose instance does not answer retries
 * the same command, with the same key, on the next instance (as a load balancer would).
 */
import { randomUUID } from 'node:crypto';

export interface SentCommand {
  key: string;
  teamId: string;
  method: 'POST' | 'PUT' | 'DELETE';
  path: string;
  body: object | undefined;
  /** Instance index of each attempt. */
  attempts: number[];
  /** The answer of the last attempt that got one; undefined when none answered. */
  status?: number;
  answer?: unknown;
  /** The instance that gave `answer`, and its base URL then (a restarted instance has another). */
  answeredBy?: number;
  answeredAt?: string;
}

export interface LoadTeam {
  id: string;
  plan: 'pro' | 'enterprise';
}

const users = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'];
const projects = ['p0', 'p1', 'p2'];
const rolesOf = {
  pro: ['member', 'billing', 'pro_viewer', 'owner'],
  enterprise: ['member', 'developer', 'security', 'billing', 'contributor', 'enterprise_viewer', 'owner'],
} as const;
const groups = ['create_project', 'usage_viewer', 'environment_manager', 'deployment_protection_manager'];

/** A small deterministic generator (mulberry32), so that a failing run can be repeated with its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One command on few members and projects, so that concurrent ones conflict (roles, removals, project roles). */
export function nextCommand(team: LoadTeam, next: () => number): Omit<SentCommand, 'attempts' | 'key'> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const user = pick(users);
  const project = pick(projects);
  const base = `/v1/teams/${team.id}`;
  const roll = next();
  const teamId = team.id;
  if (roll < 0.4)
    return { teamId, method: 'PUT', path: `${base}/members/${user}/role`, body: { role: pick(rolesOf[team.plan]) } };
  if (roll < 0.5) return { teamId, method: 'POST', path: `${base}/members`, body: { userId: user, role: 'member' } };
  if (roll < 0.58) return { teamId, method: 'DELETE', path: `${base}/members/${user}`, body: undefined };
  if (roll < 0.7 && team.plan === 'enterprise')
    return {
      teamId,
      method: 'PUT',
      path: `${base}/members/${user}/permission-groups/${pick(groups)}`,
      body: undefined,
    };
  if (roll < 0.78)
    return { teamId, method: 'POST', path: `${base}/projects`, body: { id: project, name: `Project ${project}` } };
  if (roll < 0.82) return { teamId, method: 'DELETE', path: `${base}/projects/${project}`, body: undefined };
  return {
    teamId,
    method: 'PUT',
    path: `${base}/projects/${project}/members/${user}`,
    body: { role: pick(['project_admin', 'project_developer', 'project_viewer']) },
  };
}

export interface LoadOptions {
  clients: number;
  teams: readonly LoadTeam[];
  /** Base URL of each instance, read at each attempt (an instance restarted elsewhere gets a new one). */
  instances: () => ReadonlyArray<string | undefined>;
  /** The acting owner's bearer token. */
  authorization: string;
  /** Keeps sending while this is true. */
  running: () => boolean;
  seed: number;
  /** Where each command is recorded as it is sent, for a test to watch the load as it goes. */
  sent?: SentCommand[];
}

/** Drives the load until `running()` turns false; returns every command sent, answered or not. */
export async function driveLoad(options: LoadOptions): Promise<SentCommand[]> {
  const sent: SentCommand[] = options.sent ?? [];
  const client = async (index: number): Promise<void> => {
    const next = random(options.seed * 1000 + index);
    const team = options.teams[index % options.teams.length]!;
    const home = index % options.instances().length;
    while (options.running()) {
      const command: SentCommand = { ...nextCommand(team, next), key: randomUUID(), attempts: [] };
      sent.push(command);
      await send(command, home, options);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, index) => client(index)));
  return sent;
}

/** Sends `command` to its home instance, then to the next ones while none answers (at most 2 rounds). */
export async function send(
  command: SentCommand,
  home: number,
  options: Pick<LoadOptions, 'instances' | 'authorization'>,
): Promise<void> {
  const count = options.instances().length;
  for (let attempt = 0; attempt < 2 * count; attempt++) {
    const target = (home + attempt) % count;
    const baseUrl = options.instances()[target];
    if (baseUrl === undefined) continue;
    command.attempts.push(target);
    try {
      const response = await fetch(`${baseUrl}${command.path}`, {
        method: command.method,
        headers: {
          authorization: options.authorization,
          'idempotency-key': command.key,
          'x-request-id': `${command.key}.${command.attempts.length - 1}`,
          ...(command.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(command.body === undefined ? {} : { body: JSON.stringify(command.body) }),
        signal: AbortSignal.timeout(20_000),
      });
      command.status = response.status;
      command.answer = await response.json();
      command.answeredBy = target;
      command.answeredAt = baseUrl;
      return;
    } catch {
      // The instance is gone (killed) or did not answer: the same command, same key, on the next one.
      command.status = undefined;
      command.answer = undefined;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
