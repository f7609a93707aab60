import { asRecorded } from '../../../../test/fixtures/team-history';
import { day, enterpriseTeam, ms, setup } from '../testing/acme';

describe('member history and the change feed', () => {
  it('records each member’s timeline with actor, reason, before/after, the cascade cause and the rights it changed', () => {
    const team = enterpriseTeam();
    team.run('olivia', day(5), {
      type: 'AssignProjectRole',
      data: { projectId: 'web', userId: 'cleo', role: 'project_viewer' },
    });
    team.run('olivia', day(6), { type: 'GrantPermissionGroup', data: { userId: 'cleo', group: 'create_project' } });
    team.run('olivia', day(7), { type: 'RemoveMember', data: { userId: 'cleo' } }, 'contract ended');
    const { projection, queries } = setup();
    projection.apply(asRecorded('acme', team.events));

    const history = queries.memberHistory('acme', 'cleo');
    expect(history.map((h) => h.type)).toEqual([
      'MemberAdded',
      'ProjectRoleAssigned',
      'PermissionGroupGranted',
      'MemberRemoved',
      'PermissionGroupRevoked',
      'ProjectRoleRevoked',
    ]);
    const [added, assigned, , removed, groupEnded, roleEnded] = history;
    expect(added).toMatchObject({
      actorId: 'olivia',
      before: null,
      after: { role: 'contributor' },
      granted: [],
      revoked: [],
    });
    expect(assigned).toMatchObject({ projectId: 'web', before: null, after: { role: 'project_viewer' } });
    expect(assigned!.granted.map((g) => g.permission)).toEqual([
      'project.view',
      'project.env.view',
      'project.logs.view',
    ]);
    expect(removed).toMatchObject({ reason: 'contract ended', after: null });
    // The removal itself ends every right at once; the cascades that follow record why they happened.
    expect(removed!.revoked.map((g) => g.permission).sort()).toEqual(
      ['project.create', 'project.env.view', 'project.logs.view', 'project.view'].sort(),
    );
    expect(groupEnded).toMatchObject({
      group: 'create_project',
      cause: { type: 'MemberRemoved', userId: 'cleo' },
      revoked: [],
    });
    expect(roleEnded).toMatchObject({ projectId: 'web', cause: { type: 'MemberRemoved', userId: 'cleo' } });
    expect(queries.memberHistory('acme', 'cleo', ms(day(5)))).toHaveLength(2);
  });

  it('feeds every granted and revoked right with the event that caused it, and pages without splitting an event', () => {
    const team = enterpriseTeam();
    const created = team.run('olivia', day(4), { type: 'CreateProject', data: { projectId: 'api', name: 'API' } });
    const { projection, queries } = setup();
    const recorded = asRecorded('acme', team.events);
    projection.apply(recorded);

    const all = queries.changes({ limit: 1000 });
    expect(all.hasMore).toBe(false);
    expect(all.next).toBe(projection.position);
    const causedByApi = all.changes.filter((c) => c.cause.type === 'ProjectCreated' && c.projectId === 'api');
    expect(new Set(causedByApi.map((c) => c.userId))).toEqual(new Set(['olivia', 'dana']));
    expect(causedByApi.every((c) => c.change === 'granted' && c.position === recorded.at(-1)!.position)).toBe(true);
    expect(causedByApi[0]!.cause).toMatchObject({
      eventId: recorded.at(-1)!.id,
      actorId: 'olivia',
      occurredAt: created[0]!.data.occurredAt,
    });

    const paged: unknown[] = [];
    let after: string | undefined;
    for (;;) {
      const page = queries.changes({ limit: 5, ...(after ? { after } : {}) });
      paged.push(...page.changes);
      const positions = new Set(page.changes.map((c) => c.position));
      for (const position of positions) {
        expect(page.changes.filter((c) => c.position === position)).toHaveLength(
          all.changes.filter((c) => c.position === position).length,
        );
      }
      if (!page.hasMore) break;
      after = page.next;
    }
    expect(paged).toEqual(all.changes);
    expect(queries.changes({ after: recorded.at(-2)!.position }).changes).toEqual(causedByApi);
    expect(queries.changes({ after: recorded.at(-1)!.position }).changes).toEqual([]);
    expect(() => queries.changes({ after: 'not-a-position' })).toThrow('not a position');
  });

  it('never moves the feed cursor back before `after` while the read models lag (a resumed reader gets nothing twice)', () => {
    const team = enterpriseTeam();
    const { projection, queries } = setup();
    const recorded = asRecorded('acme', team.events);
    projection.apply(recorded.slice(0, 2));
    // The reader has already seen every change up to the last event (e.g. Last-Event-ID from before a rebuild).
    const resumeAfter = recorded.at(-1)!.position;
    const lagging = queries.changes({ after: resumeAfter });
    expect(lagging).toEqual({ changes: [], hasMore: false, next: resumeAfter });
    projection.apply(recorded);
    expect(queries.changes({ after: lagging.next! }).changes).toEqual([]);
  });
});
