import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import {
  checkPermission,
  effectivePermissions,
  evolve,
  initialTeamState,
  permissions,
  type TeamEvent,
  type TeamState,
} from '@access-audit/domain';
import { parseFixture } from '@access-audit/projections';
import { checkAnswerSchema, permissionsAnswerSchema } from './answers.dto';

/** The check route answers through Fastify's serializer compiled from `checkAnswerSchema`: it must drop nothing. */
describe('checkAnswerSchema', () => {
  it('serializes every check answer of the recorded Enterprise history exactly as JSON.stringify does', async () => {
    const fixture = parseFixture(
      readFileSync(join(__dirname, '../../../../../test/fixtures/enterprise-team.ndjson'), 'utf8'),
    );
    const answers = new Map<string, unknown>();
    let state: TeamState = initialTeamState();
    for (const event of fixture) {
      state = evolve(state, { type: event.type, data: event.data } as TeamEvent);
      if (state.status !== 'active') continue;
      for (const userId of [...state.members.keys()]) {
        for (const projectId of [...state.projects.keys(), undefined]) {
          for (const permission of permissions) {
            const answer = checkPermission(state, userId, permission, projectId);
            answers.set(JSON.stringify(answer), answer);
          }
        }
      }
    }
    const distinct = [...answers.values()];
    // Every kind of reason a permission holds appears in the history.
    const kinds = new Set(
      distinct.flatMap((answer) => (answer as { via: Array<{ kind: string }> }).via.map((v) => v.kind)),
    );
    expect([...kinds].sort()).toEqual(['permission_group', 'project_role', 'team_role']);

    const app = Fastify();
    app.get<{ Querystring: { index: string } }>(
      '/check',
      { schema: { response: { 200: checkAnswerSchema } } },
      async (request) => distinct[Number(request.query.index)],
    );
    try {
      for (const [index, answer] of distinct.entries()) {
        const response = await app.inject({ method: 'GET', url: `/check?index=${index}` });
        expect(response.body).toBe(JSON.stringify(answer));
      }
    } finally {
      await app.close();
    }
  });
});

/** The /permissions route answers through Fastify's serializer compiled from `permissionsAnswerSchema`: same bytes. */
describe('permissionsAnswerSchema', () => {
  it('serializes every permissions answer of the recorded Enterprise history exactly as JSON.stringify does', async () => {
    const fixture = parseFixture(
      readFileSync(join(__dirname, '../../../../../test/fixtures/enterprise-team.ndjson'), 'utf8'),
    );
    const answers = new Map<string, unknown>();
    let state: TeamState = initialTeamState();
    for (const event of fixture) {
      state = evolve(state, { type: event.type, data: event.data } as TeamEvent);
      if (state.status !== 'active') continue;
      const users = [...state.members.keys()].sort();
      for (const projectId of [...state.projects.keys(), undefined]) {
        const grants = (userIds: string[]) =>
          userIds.flatMap((user) =>
            effectivePermissions(state, user, projectId).map((grant) => ({ userId: user, ...grant })),
          );
        for (const selected of [...users.map((user) => [user]), users]) {
          const answer = { teamId: 'acme', permissions: grants(selected) };
          answers.set(JSON.stringify(answer), answer);
        }
        const at = { teamId: 'acme', at: '2025-03-03T12:00:00Z', permissions: grants(users) };
        answers.set(JSON.stringify(at), at);
      }
    }
    const distinct = [...answers.values()];
    const grants = distinct.flatMap(
      (answer) => (answer as { permissions: Array<{ projectId: string | null }> }).permissions,
    );
    // Team-level (projectId null) and project grants both appear.
    expect(new Set(grants.map((grant) => grant.projectId === null))).toEqual(new Set([true, false]));

    const app = Fastify();
    app.get<{ Querystring: { index: string } }>(
      '/permissions',
      { schema: { response: { 200: permissionsAnswerSchema } } },
      async (request) => distinct[Number(request.query.index)],
    );
    try {
      for (const [index, answer] of distinct.entries()) {
        const response = await app.inject({ method: 'GET', url: `/permissions?index=${index}` });
        expect(response.body).toBe(JSON.stringify(answer));
      }
    } finally {
      await app.close();
    }
  });
});
