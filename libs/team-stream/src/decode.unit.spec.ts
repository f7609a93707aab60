import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { decide, evolve, initialTeamState, type ActiveTeam, type TeamState } from '@access-audit/domain';
import type { RecordedEvent } from '@access-audit/event-store';
import { aimed, step } from '../../domain/src/testing/random-team-history';
import { decodeTeamEvent, UndecodableTeamEventError } from './decode';

let revision = 0;
const recorded = (type: string, data: unknown): RecordedEvent => ({
  id: `e${revision}`,
  streamId: 'team-t',
  revision: revision++,
  position: String(revision),
  type,
  data,
  metadata: {},
  recordedAt: '2026-01-01T00:00:00.000Z',
});
const base = { teamId: 't', actorId: 'olga', occurredAt: '2026-01-01T00:00:00.000Z', policyVersion: 'p' };

describe('decodeTeamEvent: the one decode of a recorded team event', () => {
  it('reads every event the decider records, over random histories', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 80, size: 'max' }), (steps) => {
        let state: TeamState = initialTeamState();
        const created = decide(
          {
            type: 'CreateTeam',
            teamId: 't',
            data: { name: 'T', plan: 'enterprise' },
            metadata: { actorId: 'u0', now: 't0' },
          },
          state,
        );
        if (!created.ok) throw new Error('creation refused');
        for (const event of created.events) expect(decodeTeamEvent(recorded(event.type, event.data))).toEqual(event);
        state = created.events.reduce(evolve, state);
        steps.forEach((s, i) => {
          const decision = decide(aimed(s, state as ActiveTeam, i), state);
          if (!decision.ok) return;
          for (const event of decision.events) expect(decodeTeamEvent(recorded(event.type, event.data))).toEqual(event);
          state = decision.events.reduce(evolve, state);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('reads every event of the recorded Enterprise fixture', () => {
    const lines = readFileSync(join(__dirname, '../../../test/fixtures/enterprise-team.ndjson'), 'utf8')
      .trim()
      .split('\n');
    for (const line of lines) {
      const { type, data } = JSON.parse(line) as { type: string; data: unknown };
      expect(decodeTeamEvent(recorded(type, data))?.type).toBe(type);
    }
  });

  it('leaves an event type it does not know to the caller (undefined): written by newer code, or not a team event', () => {
    expect(decodeTeamEvent(recorded('MemberSuspended', { ...base, userId: 'bob' }))).toBeUndefined();
  });

  it.each([
    ['data null', 'MemberAdded', null, 'its data is not an object'],
    ['data a string', 'MemberAdded', 'owner', 'its data is not an object'],
    [
      'no actor',
      'MemberAdded',
      { ...base, actorId: undefined, userId: 'bob', before: null, after: { role: 'owner' } },
      'data.actorId',
    ],
    [
      'after a string',
      'MemberAdded',
      { ...base, userId: 'bob', before: null, after: 'owner' },
      'data.after is not an object',
    ],
    [
      'a role outside the policy',
      'MemberAdded',
      { ...base, userId: 'bob', before: null, after: { role: 'god' } },
      'data.after.role',
    ],
    [
      'a numeric user id',
      'MemberAdded',
      { ...base, userId: 42, before: null, after: { role: 'member' } },
      'data.userId',
    ],
    [
      'a group outside the policy',
      'PermissionGroupGranted',
      { ...base, userId: 'b', group: 'root', before: null, after: { group: 'root' } },
      'data.group',
    ],
    [
      'security without ip blocks',
      'ProjectCreated',
      { ...base, projectId: 'web', name: 'Web', security: { firewall: { enabled: false } } },
      'data.security.ipBlocks',
    ],
    [
      'an ip block that is not a string',
      'ProjectCreated',
      {
        ...base,
        projectId: 'web',
        name: 'Web',
        security: {
          firewall: { enabled: false },
          ipBlocks: ['10.0.0.0/8', 7],
          rateLimitRules: [],
          deploymentProtection: {
            vercelAuthentication: 'none',
            passwordProtection: { enabled: false },
            bypassTokens: [],
          },
        },
      },
      'data.security.ipBlocks[1] is not a string',
    ],
    [
      'a removed member with a project role outside the policy',
      'MemberRemoved',
      {
        ...base,
        userId: 'b',
        before: { role: 'member', permissionGroups: [], projectRoles: { web: 'god' } },
        after: null,
      },
      'data.before.projectRoles.web is not one of',
    ],
    [
      'a rate limit rule neither absent nor a rule',
      'RateLimitRuleSet',
      {
        ...base,
        projectId: 'web',
        ruleId: 'r',
        before: 'x',
        after: { id: 'r', path: '/', limit: 1, windowSeconds: 1 },
      },
      'data.before has none of its expected shapes',
    ],
  ])('refuses %s, naming the event and the path, never the value', (_what, type, data, why) => {
    let error: unknown;
    try {
      decodeTeamEvent(recorded(type, data));
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(UndecodableTeamEventError);
    expect((error as Error).message).toContain(why);
    expect((error as Error).message).not.toContain('god');
    expect((error as UndecodableTeamEventError).event.type).toBe(type);
  });
});
