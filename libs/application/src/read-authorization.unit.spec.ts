import { decide, evolve, initialTeamState, type TeamCommand, type TeamState } from '@access-audit/domain';
import {
  ReadAuthorizer,
  teamReadRefusal,
  type ReadPrincipal,
  type TeamStateRead,
  type TeamStateSource,
} from './read-authorization';

/** olga owns acme; mia is a member (team.view), dev a developer (neither read permission), vic an enterprise viewer. */
function acme(): TeamState {
  let state = initialTeamState();
  const commands: Array<[TeamCommand['type'], object]> = [
    ['CreateTeam', { name: 'Acme', plan: 'enterprise' }],
    ['AddMember', { userId: 'mia', role: 'member' }],
    ['AddMember', { userId: 'dev', role: 'developer' }],
    ['AddMember', { userId: 'vic', role: 'enterprise_viewer' }],
  ];
  for (const [type, data] of commands) {
    const command = {
      type,
      teamId: 'acme',
      data,
      metadata: { actorId: 'olga', now: '2026-01-15T10:00:00.000Z' },
    } as TeamCommand;
    const decision = decide(command, state);
    if (!decision.ok) throw new Error(`fixture ${type} refused: ${decision.rejection.message}`);
    state = decision.events.reduce(evolve, state);
  }
  return state;
}

const user = (userId: string): ReadPrincipal => ({ userId, isReader: false });
const machine: ReadPrincipal = { userId: 'svc', isReader: true };

/** A source that answers `read` and counts how often it was asked. */
function sourceOf(read: TeamStateRead): TeamStateSource & { reads: number } {
  const source = {
    readModel: 'audit' as const,
    reads: 0,
    teamState: () => {
      source.reads += 1;
      return read;
    },
  };
  return source;
}

describe('the one read decision', () => {
  const team = acme();

  it('lets team readers, machine readers and members about themselves read; refuses others naming team.view', () => {
    for (const principal of [user('olga'), user('mia'), user('vic'), machine]) {
      expect(teamReadRefusal(team, principal, { kind: 'team', teamId: 'acme' })).toBeUndefined();
    }
    expect(teamReadRefusal(team, user('dev'), { kind: 'member', teamId: 'acme', userId: 'dev' })).toBeUndefined();
    expect(teamReadRefusal(team, user('dev'), { kind: 'member', teamId: 'acme', userId: 'mia' })).toEqual({
      kind: 'forbidden',
      permission: 'team.view',
      message: 'dev lacks team.view (or team.audit.view) on team acme',
    });
    expect(teamReadRefusal(team, user('dev'), { kind: 'member', teamId: 'acme', userId: undefined })).toMatchObject({
      permission: 'team.view',
    });
  });

  it('lets only team.audit.view read the audit log, and never a machine reader', () => {
    const audit = { kind: 'audit', teamId: 'acme' } as const;
    expect(teamReadRefusal(team, user('olga'), audit)).toBeUndefined();
    expect(teamReadRefusal(team, user('vic'), audit)).toBeUndefined();
    expect(teamReadRefusal(team, user('mia'), audit)).toEqual({
      kind: 'forbidden',
      permission: 'team.audit.view',
      message: 'mia lacks team.audit.view on team acme',
    });
    expect(teamReadRefusal(team, { userId: 'olga', isReader: true }, audit)).toEqual({
      kind: 'forbidden',
      permission: 'team.audit.view',
      message: 'a token with the access:read scope does not read the audit log; it needs team.audit.view',
    });
  });

  it('answers 404 team.exists for a team that does not exist, to anyone but a machine reader of the audit log', () => {
    const none = initialTeamState();
    const notFound = { kind: 'not_found', rule: 'team.exists', message: 'team ghost does not exist' };
    expect(teamReadRefusal(none, machine, { kind: 'team', teamId: 'ghost' })).toEqual(notFound);
    expect(teamReadRefusal(none, user('dev'), { kind: 'member', teamId: 'ghost', userId: 'dev' })).toEqual(notFound);
    expect(teamReadRefusal(none, user('olga'), { kind: 'audit', teamId: 'ghost' })).toEqual(notFound);
    expect(teamReadRefusal(none, machine, { kind: 'audit', teamId: 'ghost' })).toMatchObject({ kind: 'forbidden' });
  });
});

describe('ReadAuthorizer', () => {
  it('refuses a machine reader the audit log before asking the source (a quarantined team included)', async () => {
    const source = sourceOf({
      ok: false,
      quarantinedAt: { id: 'e1', type: 'MemberAdded', position: '7', streamRevision: 1 },
    });
    const decision = await new ReadAuthorizer(source).authorize(machine, { kind: 'audit', teamId: 'acme' });
    expect(decision).toMatchObject({ allowed: false, refusal: { kind: 'forbidden', permission: 'team.audit.view' } });
    expect(source.reads).toBe(0);
  });

  it('answers nothing about a quarantined team, not even who may read it, naming the source and the event', async () => {
    const event = { id: 'e1', type: 'MemberAdded', position: '7', streamRevision: 1 };
    const authorizer = new ReadAuthorizer(sourceOf({ ok: false, quarantinedAt: event }));
    expect(await authorizer.authorize(user('dev'), { kind: 'member', teamId: 'acme', userId: 'dev' })).toEqual({
      allowed: false,
      refusal: { kind: 'unavailable', readModel: 'audit', teamId: 'acme', event },
    });
  });

  it('hands the team on to an allowed read, and the refusal of the decision otherwise', async () => {
    const team = acme();
    const authorizer = new ReadAuthorizer(sourceOf({ ok: true, team }));
    expect(await authorizer.authorize(user('mia'), { kind: 'team', teamId: 'acme' })).toEqual({ allowed: true, team });
    expect(await authorizer.authorize(user('dev'), { kind: 'team', teamId: 'acme' })).toMatchObject({
      allowed: false,
      refusal: { kind: 'forbidden', permission: 'team.view' },
    });
  });

  it('decides on a read already in hand exactly as authorize does, without a promise', async () => {
    const event = { id: 'e1', type: 'MemberAdded', position: '7', streamRevision: 1 };
    const reads: TeamStateRead[] = [
      { ok: true, team: acme() },
      { ok: true, team: initialTeamState() },
      { ok: false, quarantinedAt: event },
    ];
    const principals = [user('mia'), user('dev'), user('olga'), machine];
    for (const read of reads) {
      const authorizer = new ReadAuthorizer(sourceOf(read));
      for (const principal of principals)
        for (const subject of [
          { kind: 'team', teamId: 'acme' },
          { kind: 'member', teamId: 'acme', userId: 'dev' },
          { kind: 'member', teamId: 'acme', userId: undefined },
          { kind: 'audit', teamId: 'acme' },
        ] as const) {
          const decision = authorizer.decide(principal, subject, read);
          expect(decision).not.toBeInstanceOf(Promise);
          expect(decision).toEqual(await authorizer.authorize(principal, subject));
        }
    }
  });

  it('keeps the change feed of every team for machine readers', () => {
    const authorizer = new ReadAuthorizer(sourceOf({ ok: true, team: initialTeamState() }));
    expect(authorizer.allTeams(machine)).toBeUndefined();
    expect(authorizer.allTeams(user('olga'))).toEqual({
      kind: 'forbidden',
      permission: 'access:read',
      message:
        "the change feed of every team needs a token with the access:read scope; pass teamId to read one team's feed",
    });
  });
});
