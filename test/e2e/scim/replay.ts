/**
 * Replays a recorded SCIM provisioning sequence (fixture JSON of the requests a client sends) against the app over
 * HTTP, and checks after each step the answer, the team's members, the audit entries the directory caused and /v1/check.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApi, UserClient } from '../support/test-api';

export interface RecordedStep {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** With `{{name}}` for an id captured before; query values written unencoded, as the client means them. */
  path: string;
  body?: unknown;
  /** name → top-level attribute of the answer to remember (`id`). */
  capture?: Record<string, string>;
  expect: {
    status: number;
    /** A subset the answer must match. */
    body?: Record<string, unknown>;
    /** Attributes the answer must not have. */
    absent?: string[];
    absentInResources?: string[];
    /** Every member of the team afterwards: userId → role, or "role+group,group". */
    members: Record<string, string>;
    /** The audit entries the step caused with the directory as actor: [action, target userId]. */
    audit: Array<[string, string]>;
    /** [userId, permission, allowed]: what /v1/check answers afterwards (a leaver is not allowed). */
    check?: Array<[string, string, boolean]>;
  };
}

export interface RecordedSequence {
  client: string;
  description: string;
  headers: Record<string, string>;
  mappings: Array<{ group: string; role?: string; permissionGroups?: string[] }>;
  steps: RecordedStep[];
}

export const loadSequence = (file: string): RecordedSequence =>
  JSON.parse(readFileSync(join(__dirname, file), 'utf8')) as RecordedSequence;

const substitute = (text: string, captured: Map<string, string>): string =>
  text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = captured.get(name);
    if (value === undefined) throw new Error(`nothing captured as ${name}`);
    return value;
  });

/** `/Users?filter=userName eq "x"&count=1` with each query value percent-encoded as a client's HTTP library does. */
function encodedPath(path: string): string {
  const [pathname, query] = path.split(/\?(.*)/s, 2) as [string, string | undefined];
  if (query === undefined) return pathname;
  const pairs = query.split('&').map((pair) => {
    const at = pair.indexOf('=');
    return `${pair.slice(0, at)}=${encodeURIComponent(pair.slice(at + 1))}`;
  });
  return `${pathname}?${pairs.join('&')}`;
}

const memberView = (member: { role: string; permissionGroups: string[] }): string =>
  member.permissionGroups.length > 0 ? `${member.role}+${[...member.permissionGroups].sort().join(',')}` : member.role;

export async function replay(
  api: TestApi,
  owner: UserClient,
  sequence: RecordedSequence,
  ctx: { teamId: string; directoryId: string; token: string },
): Promise<void> {
  const captured = new Map<string, string>();
  const actor = `scim:${ctx.directoryId}`;
  let auditSeen = 0;
  for (const step of sequence.steps) {
    const where = `${sequence.client} step "${step.name}"`;
    const method = step.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    const url = `/scim/v2/${ctx.directoryId}${encodedPath(substitute(step.path, captured))}`;
    let request = api.http()[method](url);
    for (const [name, value] of Object.entries(sequence.headers)) request = request.set(name, value);
    request = request.set('Authorization', `Bearer ${ctx.token}`);
    const response = await (step.body === undefined
      ? request
      : request.send(substitute(JSON.stringify(step.body), captured)));
    expect({ where, status: response.status }).toEqual({ where, status: step.expect.status });
    if (response.text.length > 0)
      expect({ where, type: response.headers['content-type'] }).toEqual({
        where,
        type: expect.stringMatching(/^application\/scim\+json/),
      });
    const body = response.text.length > 0 ? (JSON.parse(response.text) as Record<string, unknown>) : {};
    if (step.expect.body)
      expect({ where, body }).toMatchObject({
        where,
        body: JSON.parse(substitute(JSON.stringify(step.expect.body), captured)),
      });
    for (const name of step.expect.absent ?? []) expect({ where, [name]: body[name] }).toEqual({ where });
    for (const name of step.expect.absentInResources ?? [])
      for (const resource of body['Resources'] as Array<Record<string, unknown>>)
        expect({ where, [name]: resource[name] }).toEqual({ where });
    for (const [name, attribute] of Object.entries(step.capture ?? {})) captured.set(name, String(body[attribute]));

    // Reads wait until the read models and the audit log hold everything appended so far.
    const head = encodeURIComponent((await api.store.headPosition())!);
    const team = await owner.get(`/v1/teams/${ctx.teamId}?minPosition=${head}`).expect(200);
    const members = Object.fromEntries(
      (team.body.members as Array<{ userId: string; role: string; permissionGroups: string[] }>).map((m) => [
        m.userId,
        memberView(m),
      ]),
    );
    expect({ where, members }).toEqual({ where, members: step.expect.members });
    const audit = await owner
      .get(`/v1/teams/${ctx.teamId}/audit?actor=${encodeURIComponent(actor)}&minPosition=${head}&limit=1000`)
      .expect(200);
    const entries = audit.body.entries as Array<{
      action: string;
      actor: string;
      target: { userId?: string };
      context?: { requestId?: string };
    }>;
    const caused = entries.slice(auditSeen).map((e) => [e.action, e.target.userId]);
    expect({ where, audit: caused }).toEqual({ where, audit: step.expect.audit });
    // Each entry the step caused is correlated with the SCIM request that caused it.
    for (const entry of entries.slice(auditSeen))
      expect({ where, requestId: entry.context?.requestId }).toEqual({
        where,
        requestId: response.headers['x-request-id'],
      });
    auditSeen = entries.length;
    for (const [userId, permission, allowed] of step.expect.check ?? []) {
      const query = new URLSearchParams({
        teamId: ctx.teamId,
        userId,
        permission,
        minPosition: decodeURIComponent(head),
      });
      const check = await owner.get(`/v1/check?${query}`).expect(200);
      expect({ where, userId, permission, allowed: check.body.allowed }).toEqual({
        where,
        userId,
        permission,
        allowed,
      });
    }
  }
}
