import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import {
  checkPermission,
  foldTeam,
  teamDecider,
  teamStreamId,
  type TeamCommand,
  type TeamEvent,
} from '@access-audit/domain';
import { TeamCommands } from '@access-audit/application';
import { canonicalJson, deniedTeamCommand, type DeniedCommand } from '@access-audit/audit';
import { handleCommand, MemoryEventStore, StreamLocks, WrongExpectedRevisionError } from '@access-audit/event-store';
import { accessReviewStreamId, type ItemOutcome } from '../campaign/events';
import { accessReviewRuleIds as rules } from '../campaign/rules';
import { verifyEvidenceSignature } from '../evidence/signature';
import { AccessReviewService } from './access-review-service';

const TEAM = 'acme';
const T0 = '2026-03-01T09:00:00.000Z';
const DURING = '2026-03-10T12:00:00.000Z';
const DUE = '2026-03-31T17:00:00.000Z';
const AFTER_DUE = '2026-04-02T08:00:00.000Z';

function setup() {
  const store = new MemoryEventStore();
  const locks = new StreamLocks();
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signer = {
    keyId: 'k1',
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signBytes: (bytes: Buffer) => sign(null, bytes, privateKey).toString('base64'),
  };
  const headRequests: Array<{ teamId: string; throughPosition: string | undefined }> = [];
  const auditChainHead = async (teamId: string, throughPosition?: string) => {
    headRequests.push({ teamId, throughPosition });
    return { streamId: `audit-${teamId}`, revision: 3, sequence: 4, headHash: 'c'.repeat(64) };
  };
  // Refused campaign commands and refused revocations, as the audit log would receive them.
  const refusals: DeniedCommand[] = [];
  const onRefused = async (refused: DeniedCommand) => void refusals.push(refused);
  const commandsHandled: Array<[string, string]> = [];
  const teamCommands = new TeamCommands({
    store,
    locks,
    now: () => new Date(),
    observer: { handled: (type, outcome) => void commandsHandled.push([type, outcome]), appended: () => undefined },
    denials: {
      record: async (command, rejection, context) =>
        void refusals.push(deniedTeamCommand(command, rejection, context.requestContext, context.teamStreamRevision)),
    },
  });
  const service = new AccessReviewService({ store, locks, teamCommands, signer, auditChainHead, onRefused });
  const team = async (type: TeamCommand['type'], actorId: string, data: object, now = T0) => {
    const outcome = await handleCommand(
      store,
      teamStreamId(TEAM),
      teamDecider,
      {
        type,
        teamId: TEAM,
        data,
        metadata: { actorId, now },
      } as TeamCommand,
      { locks },
    );
    if (!outcome.ok) throw new Error(`fixture ${type}: ${outcome.rejection.message}`);
    return outcome;
  };
  const teamState = async () =>
    foldTeam((await store.readStream(teamStreamId(TEAM))).map((e) => ({ type: e.type, data: e.data }) as TeamEvent));
  return { store, service, team, teamState, publicKey, headRequests, refusals, commandsHandled };
}

/** olga and oscar own the team; oscar added mia; olga added the rest; mia assigned cole's project roles. */
async function enterpriseTeam(team: ReturnType<typeof setup>['team']) {
  await team('CreateTeam', 'olga', { name: 'Acme', plan: 'enterprise' });
  await team('AddMember', 'olga', { userId: 'oscar', role: 'owner' });
  await team('AddMember', 'oscar', { userId: 'mia', role: 'member' });
  await team('AddMember', 'olga', { userId: 'dev', role: 'developer' });
  await team('AddMember', 'olga', { userId: 'rita', role: 'enterprise_viewer' });
  await team('AddMember', 'olga', { userId: 'cole', role: 'contributor' });
  await team('GrantPermissionGroup', 'olga', { userId: 'dev', group: 'create_project' });
  await team('CreateProject', 'olga', { projectId: 'web', name: 'Web' });
  await team('CreateProject', 'olga', { projectId: 'api', name: 'API' });
  await team('AssignProjectRole', 'mia', { projectId: 'web', userId: 'cole', role: 'project_developer' });
  return team('AssignProjectRole', 'mia', { projectId: 'api', userId: 'cole', role: 'project_viewer' });
}

const ctx = (actorId: string, now = DURING) => ({ actorId, now, correlationId: `req-${actorId}` });
const ok = <T>(result: { ok: true; value: T } | { ok: false; rejection: unknown }): T => {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.rejection)}`);
  return result.value;
};
const outcome = (outcomes: ItemOutcome[] | undefined, itemId: string) => outcomes?.find((o) => o.itemId === itemId);

describe('AccessReviewService over the event store', () => {
  it('opens on the team stream at its current revision, closes through the team command path, and signs evidence', async () => {
    const { store, service, team, teamState, publicKey, headRequests, refusals: denied } = setup();
    const last = await enterpriseTeam(team);
    const opened = ok(
      await service.open(
        { teamId: TEAM, reviewId: 'q1', name: 'Q1', reviewerIds: ['rita', 'oscar'], dueAt: DUE },
        ctx('olga', T0),
      ),
    );
    expect(opened).toMatchObject({ reviewId: 'q1', streamRevision: 0, events: [{ type: 'AccessReviewOpened' }] });
    const view = ok(await service.view({ teamId: TEAM, reviewId: 'q1' }, 'rita', DURING));
    expect(view.snapshot).toEqual({
      teamStreamId: teamStreamId(TEAM),
      teamStreamRevision: last.streamRevision,
      teamStreamPosition: last.position,
    });
    expect(view.summary).toMatchObject({ items: 9, undecided: 9 });

    // Separation of duties and naming: refused, nothing appended to the campaign.
    const refusals = [
      await service.decide({ teamId: TEAM, reviewId: 'q1', itemId: 'team_role:rita', decision: 'keep' }, ctx('rita')),
      await service.decide(
        { teamId: TEAM, reviewId: 'q1', itemId: 'team_role:mia', decision: 'keep', justification: 'x' },
        ctx('oscar'),
      ),
      await service.decide({ teamId: TEAM, reviewId: 'q1', itemId: 'team_role:dev', decision: 'keep' }, ctx('olga')),
    ];
    expect(
      refusals.map((r) => (r.ok ? 'accepted' : 'rule' in r.rejection ? r.rejection.rule : r.rejection.kind)),
    ).toEqual([rules.sodOwnAccess, rules.sodOwnGrant, rules.namedReviewer]);
    expect(await store.streamRevision(accessReviewStreamId(TEAM, 'q1'))).toBe(0);
    // Each refusal is handed on for the audit log's denial record.
    expect(denied.map((d) => [d.actorId, d.commandType, d.target, d.rejection.rule])).toEqual([
      ['rita', 'DecideAccessReviewItem', { userId: 'rita' }, rules.sodOwnAccess],
      ['oscar', 'DecideAccessReviewItem', { userId: 'mia' }, rules.sodOwnGrant],
      ['olga', 'DecideAccessReviewItem', { userId: 'dev' }, rules.namedReviewer],
    ]);

    const decide = async (actorId: string, itemId: string, decision: 'keep' | 'revoke', justification?: string) =>
      ok(
        await service.decide(
          { teamId: TEAM, reviewId: 'q1', itemId, decision, ...(justification ? { justification } : {}) },
          ctx(actorId),
        ),
      );
    await decide('rita', 'team_role:dev', 'keep');
    const devRevoke = await decide('rita', 'team_role:dev', 'revoke', 'moved to another org');
    const coleWeb = await decide('rita', 'project_role:cole:web', 'revoke');
    await decide('rita', 'project_role:cole:api', 'revoke');
    await decide('rita', 'team_role:mia', 'revoke', 'contract ended');
    await decide('oscar', 'permission_group:dev:create_project', 'keep');

    // Someone changes cole's api grant after the snapshot: reported, not revoked.
    await team('AssignProjectRole', 'olga', { projectId: 'api', userId: 'cole', role: 'project_developer' }, DURING);

    const completed = ok(await service.complete({ teamId: TEAM, reviewId: 'q1' }, ctx('olga')));
    expect(outcome(completed.outcomes, 'project_role:cole:api')).toMatchObject({
      result: 'changed_since_snapshot',
      current: { value: 'project_developer' },
    });
    expect(outcome(completed.outcomes, 'project_role:cole:web')).toMatchObject({
      result: 'revoked',
      causationEventId: coleWeb.events[0]!.id,
    });
    expect(outcome(completed.outcomes, 'team_role:dev')).toMatchObject({
      result: 'revoked',
      causationEventId: devRevoke.events[0]!.id,
    });
    expect(outcome(completed.outcomes, 'team_role:olga')).toMatchObject({ result: 'undecided' });
    expect(outcome(completed.outcomes, 'permission_group:dev:create_project')).toMatchObject({ result: 'kept' });

    const teamEvents = await store.readStream(teamStreamId(TEAM));
    const enforcing = teamEvents.filter((e) => e.metadata['causationId'] === devRevoke.events[0]!.id);
    // The member's removal ends their permission group with its own cascaded event, all caused by the decision.
    expect(enforcing.map((e) => e.type)).toEqual(['MemberRemoved', 'PermissionGroupRevoked']);
    expect(enforcing[0]!.metadata).toMatchObject({
      actorId: 'olga',
      accessReview: { reviewId: 'q1', itemId: 'team_role:dev' },
    });
    expect(enforcing[0]!.data).toMatchObject({ actorId: 'olga', userId: 'dev' });
    expect(completed.position).toBe(await store.headPosition());
    expect(completed.events.map((e) => e.type)).toEqual([
      'ProjectRoleRevoked',
      'MemberRemoved',
      'PermissionGroupRevoked',
      'MemberRemoved',
      'AccessReviewCompleted',
    ]);

    // The audit-chain head is asked for once the revocations are in the team stream.
    expect(headRequests).toEqual([{ teamId: TEAM, throughPosition: teamEvents.at(-1)!.position }]);
    const state = await teamState();
    expect(checkPermission(state, 'dev', 'project.deploy.preview', 'web').allowed).toBe(false);
    expect(checkPermission(state, 'mia', 'team.settings.manage').allowed).toBe(false);
    expect(checkPermission(state, 'cole', 'project.view', 'web').allowed).toBe(false);
    expect(checkPermission(state, 'cole', 'project.view', 'api').allowed).toBe(true);

    const signed = ok(await service.evidence({ teamId: TEAM, reviewId: 'q1' }, 'rita'));
    expect(verifyEvidenceSignature(signed, publicKey)).toBe(true);
    const { evidence } = signed;
    expect(createHash('sha256').update(canonicalJson(evidence.population.items)).digest('hex')).toBe(
      evidence.population.digest.value,
    );
    expect(evidence.decisions.filter((d) => d.supersededBy !== null)).toHaveLength(1);
    expect(evidence.revocations.map((r) => r.itemId).sort()).toEqual([
      'project_role:cole:web',
      'team_role:dev',
      'team_role:mia',
    ]);
    expect(evidence.closing).toMatchObject({
      status: 'completed',
      closedBy: 'olga',
      auditChainHead: { headHash: 'c'.repeat(64) },
    });

    const again = await service.complete({ teamId: TEAM, reviewId: 'q1' }, ctx('olga'));
    expect(again).toMatchObject({ ok: false, rejection: { kind: 'policy', rule: rules.open } });
  });

  it('reports refusals of the team policy on the item instead of forcing them: last owner, missing owner right', async () => {
    const { service, team, teamState, refusals } = setup();
    await enterpriseTeam(team);
    ok(
      await service.open(
        { teamId: TEAM, reviewId: 'owners', name: 'Owners', reviewerIds: ['rita'], dueAt: DUE },
        ctx('olga', T0),
      ),
    );
    for (const itemId of ['team_role:olga', 'team_role:oscar']) {
      ok(
        await service.decide(
          { teamId: TEAM, reviewId: 'owners', itemId, decision: 'revoke', justification: 'rotate owners' },
          ctx('rita'),
        ),
      );
    }
    const completed = ok(await service.complete({ teamId: TEAM, reviewId: 'owners' }, ctx('olga')));
    // olga's own grant goes last; by then she is the only owner left.
    expect(outcome(completed.outcomes, 'team_role:oscar')).toMatchObject({ result: 'revoked' });
    expect(outcome(completed.outcomes, 'team_role:olga')).toMatchObject({
      result: 'revocation_refused',
      refusal: { kind: 'policy', rule: 'team.at-least-one-owner' },
    });
    expect(refusals).toEqual([
      expect.objectContaining({
        actorId: 'olga',
        commandType: 'RemoveMember',
        target: { userId: 'olga' },
        rejection: expect.objectContaining({ rule: 'team.at-least-one-owner' }),
      }),
    ]);
    const state = await teamState();
    expect(state.status === 'active' && [...state.members.keys()].sort()).toEqual([
      'cole',
      'dev',
      'mia',
      'olga',
      'rita',
    ]);

    ok(
      await service.open(
        { teamId: TEAM, reviewId: 'viewer-completes', name: 'V', reviewerIds: ['rita'], dueAt: DUE },
        ctx('olga', T0),
      ),
    );
    ok(
      await service.decide(
        { teamId: TEAM, reviewId: 'viewer-completes', itemId: 'team_role:cole', decision: 'revoke' },
        ctx('rita'),
      ),
    );
    const byReviewer = ok(await service.complete({ teamId: TEAM, reviewId: 'viewer-completes' }, ctx('rita')));
    expect(outcome(byReviewer.outcomes, 'team_role:cole')).toMatchObject({
      result: 'revocation_refused',
      refusal: { kind: 'forbidden', permission: 'team.members.roles.manage' },
    });
    expect(await service.complete({ teamId: TEAM, reviewId: 'viewer-completes' }, ctx('mia'))).toMatchObject({
      ok: false,
    });
  });

  it('marks an overdue campaign expired when a command arrives; a default revoke applies as the opener', async () => {
    const { store, service, team, teamState } = setup();
    await enterpriseTeam(team);
    ok(
      await service.open(
        { teamId: TEAM, reviewId: 'late', name: 'Late', reviewerIds: ['rita'], dueAt: DUE },
        ctx('olga', T0),
      ),
    );
    ok(
      await service.decide(
        { teamId: TEAM, reviewId: 'late', itemId: 'team_role:cole', decision: 'revoke' },
        ctx('rita'),
      ),
    );
    const tooLate = await service.decide(
      { teamId: TEAM, reviewId: 'late', itemId: 'team_role:dev', decision: 'keep' },
      ctx('rita', AFTER_DUE),
    );
    expect(tooLate).toMatchObject({ ok: false, rejection: { kind: 'policy', rule: rules.open } });
    const late = await store.readStream(accessReviewStreamId(TEAM, 'late'));
    expect(late.map((e) => e.type)).toEqual(['AccessReviewOpened', 'AccessReviewItemDecided', 'AccessReviewExpired']);
    expect(
      (late[2]!.data as { outcomes: ItemOutcome[] }).outcomes.find((o) => o.itemId === 'team_role:cole'),
    ).toMatchObject({
      result: 'not_applied',
    });
    // Without a default decision an expiry applies nothing: cole is still a member.
    const afterExpiry = await teamState();
    expect(afterExpiry.status === 'active' && afterExpiry.members.get('cole')?.role.value).toBe('contributor');

    ok(
      await service.open(
        {
          teamId: TEAM,
          reviewId: 'strict',
          name: 'Strict',
          reviewerIds: ['rita'],
          dueAt: DUE,
          scope: { kind: 'projects', projectIds: ['web'] },
          defaultDecision: 'revoke',
        },
        ctx('olga', T0),
      ),
    );
    const expired = await service.expireIfDue({ teamId: TEAM, reviewId: 'strict' }, ctx('rita', AFTER_DUE));
    expect(outcome(expired?.outcomes, 'project_role:cole:web')).toMatchObject({
      result: 'revoked',
      decidedBy: 'default',
    });
    const removal = (await store.readStream(teamStreamId(TEAM))).at(-1)!;
    expect(removal).toMatchObject({
      type: 'ProjectRoleRevoked',
      metadata: { actorId: 'olga' },
      data: { actorId: 'olga' },
    });
    expect(removal.metadata['causationId']).toBe((await store.readStream(accessReviewStreamId(TEAM, 'strict')))[0]!.id);
  });

  it('after an interrupted closing, reuses the revocations already appended instead of reporting them as changes', async () => {
    const { store, service, team } = setup();
    await enterpriseTeam(team);
    ok(
      await service.open(
        { teamId: TEAM, reviewId: 'q2', name: 'Q2', reviewerIds: ['rita'], dueAt: DUE },
        ctx('olga', T0),
      ),
    );
    const decision = ok(
      await service.decide({ teamId: TEAM, reviewId: 'q2', itemId: 'team_role:cole', decision: 'revoke' }, ctx('rita')),
    );
    // What a closing that crashed after its first revocation left behind.
    const applied = await handleCommand(
      store,
      teamStreamId(TEAM),
      teamDecider,
      { type: 'RemoveMember', teamId: TEAM, data: { userId: 'cole' }, metadata: { actorId: 'olga', now: DURING } },
      {
        metadata: {
          actorId: 'olga',
          causationId: decision.events[0]!.id,
          accessReview: { reviewId: 'q2', itemId: 'team_role:cole' },
        },
      },
    );
    if (!applied.ok) throw new Error('fixture removal refused');
    const completed = ok(await service.complete({ teamId: TEAM, reviewId: 'q2' }, ctx('olga')));
    expect(outcome(completed.outcomes, 'team_role:cole')).toMatchObject({
      result: 'revoked',
      enforcedBy: applied.events.map((e) => ({
        eventId: e.id,
        type: e.type,
        streamRevision: e.revision,
        position: e.position,
      })),
    });
  });

  it('issues its revocations through the application layer: counted, linked to their decision, refusals recorded as every team command', async () => {
    const { store, service, team, refusals, commandsHandled } = setup();
    await enterpriseTeam(team);
    ok(
      await service.open(
        { teamId: TEAM, reviewId: 'rot', name: 'Rotation', reviewerIds: ['rita'], dueAt: DUE },
        ctx('olga', T0),
      ),
    );
    const decisions = new Map<string, string>();
    for (const itemId of ['team_role:olga', 'team_role:oscar']) {
      const decided = ok(
        await service.decide(
          { teamId: TEAM, reviewId: 'rot', itemId, decision: 'revoke', justification: 'rotate owners' },
          ctx('rita'),
        ),
      );
      decisions.set(itemId, decided.events[0]!.id);
    }
    const requestContext = { ip: '203.0.113.9', userAgent: 'jest', requestId: 'req-olga' };
    ok(await service.complete({ teamId: TEAM, reviewId: 'rot' }, { ...ctx('olga'), reason: 'Q2', requestContext }));

    // The same metrics as an HTTP command: one accepted removal (oscar), one refused (olga, the last owner).
    expect(commandsHandled).toEqual([
      ['RemoveMember', 'accepted'],
      ['RemoveMember', 'rejected'],
    ]);
    const removal = (await store.readStream(teamStreamId(TEAM))).at(-1)!;
    expect(removal).toMatchObject({
      type: 'MemberRemoved',
      data: {
        userId: 'oscar',
        actorId: 'olga',
        occurredAt: DURING,
        reason: expect.stringContaining('team_role:oscar'),
      },
      metadata: {
        actorId: 'olga',
        correlationId: 'req-olga',
        causationId: decisions.get('team_role:oscar'),
        requestContext,
        accessReview: { reviewId: 'rot', itemId: 'team_role:oscar' },
      },
    });
    // The denial record of the refused revocation is the one the HTTP path writes, with the revision it was decided on.
    expect(refusals).toEqual([
      {
        teamId: TEAM,
        actorId: 'olga',
        at: DURING,
        commandType: 'RemoveMember',
        target: { userId: 'olga' },
        rejection: expect.objectContaining({ kind: 'policy', rule: 'team.at-least-one-owner' }),
        reason: expect.stringContaining('team_role:olga'),
        requestContext,
        teamStreamRevision: removal.revision,
      },
    ]);
  });

  it("records the caller's reason and honours the campaign revision the caller saw (If-Match)", async () => {
    const { store, service, team } = setup();
    await enterpriseTeam(team);
    ok(
      await service.open(
        { teamId: TEAM, reviewId: 'q4', name: 'Q4', reviewerIds: ['rita'], dueAt: DUE },
        { ...ctx('olga', T0), reason: 'SOC 2 CC6.2' },
      ),
    );
    const item = { teamId: TEAM, reviewId: 'q4', itemId: 'team_role:cole', decision: 'keep' as const };
    await expect(service.decide(item, { ...ctx('rita'), expectedRevision: 3 })).rejects.toBeInstanceOf(
      WrongExpectedRevisionError,
    );
    ok(await service.decide(item, { ...ctx('rita'), expectedRevision: 0 }));
    await expect(
      service.complete({ teamId: TEAM, reviewId: 'q4' }, { ...ctx('olga'), expectedRevision: 0 }),
    ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    const [openedEvent] = await store.readStream(accessReviewStreamId(TEAM, 'q4'));
    expect(openedEvent!.data).toMatchObject({ reason: 'SOC 2 CC6.2' });
  });

  it("lists the team's campaigns for its audit readers, flagging overdue ones", async () => {
    const { store, service, team } = setup();
    await enterpriseTeam(team);
    ok(
      await service.open(
        { teamId: TEAM, reviewId: 'done', name: 'Done', reviewerIds: ['rita'], dueAt: DUE },
        ctx('olga', T0),
      ),
    );
    ok(await service.complete({ teamId: TEAM, reviewId: 'done' }, ctx('olga')));
    ok(
      await service.open(
        { teamId: TEAM, reviewId: 'pending', name: 'Pending', reviewerIds: ['rita'], dueAt: DUE },
        ctx('olga', T0),
      ),
    );
    // A team whose id extends this one's: its campaign streams share the prefix, never the list.
    await handleCommand(store, teamStreamId('acme-eu'), teamDecider, {
      type: 'CreateTeam',
      teamId: 'acme-eu',
      data: { name: 'Acme EU', plan: 'enterprise' },
      metadata: { actorId: 'olga', now: T0 },
    });
    ok(
      await service.open(
        { teamId: 'acme-eu', reviewId: 'eu', name: 'EU', reviewerIds: ['olga'], dueAt: DUE },
        ctx('olga', T0),
      ),
    );

    const listed = ok(await service.list(TEAM, 'rita', AFTER_DUE));
    expect(listed.map((c) => [c.reviewId, c.status, c.overdue])).toEqual([
      ['done', 'completed', false],
      ['pending', 'open', true],
    ]);
    expect(await service.list(TEAM, 'mia', DURING)).toMatchObject({
      ok: false,
      rejection: { kind: 'forbidden', permission: 'team.audit.view' },
    });
  });

  it("hands a refused completion on to the audit log's denial record, like every refused campaign command", async () => {
    const { store, service, team, refusals } = setup();
    await enterpriseTeam(team);
    ok(
      await service.open(
        { teamId: TEAM, reviewId: 'q4', name: 'Q4', reviewerIds: ['rita'], dueAt: DUE },
        ctx('olga', T0),
      ),
    );
    const byOutsider = await service.complete({ teamId: TEAM, reviewId: 'q4' }, { ...ctx('dev'), reason: 'done' });
    expect(byOutsider).toMatchObject({ ok: false, rejection: { rule: rules.completedByOwnerOrReviewer } });
    ok(await service.complete({ teamId: TEAM, reviewId: 'q4' }, ctx('rita')));
    const revision = await store.streamRevision(accessReviewStreamId(TEAM, 'q4'));
    const again = await service.complete({ teamId: TEAM, reviewId: 'q4' }, ctx('olga'));
    expect(again).toMatchObject({ ok: false, rejection: { rule: rules.open } });
    expect(await store.streamRevision(accessReviewStreamId(TEAM, 'q4'))).toBe(revision);
    expect(refusals.map((r) => [r.actorId, r.commandType, r.rejection.rule, r.reason])).toEqual([
      ['dev', 'CompleteAccessReview', rules.completedByOwnerOrReviewer, 'done'],
      ['olga', 'CompleteAccessReview', rules.open, undefined],
    ]);
  });

  it("never reaches another team's campaign whose stream id reads the same (team acme-q1, review 2026 vs acme, q1-2026)", async () => {
    const { store, service, team } = setup();
    await enterpriseTeam(team);
    ok(
      await service.open(
        { teamId: TEAM, reviewId: 'q1-2026', name: 'Q1', reviewerIds: ['rita'], dueAt: DUE },
        ctx('olga', T0),
      ),
    );
    // mallory creates a team whose id makes the same campaign stream id, and owns it.
    const created = await handleCommand(store, teamStreamId('acme-q1'), teamDecider, {
      type: 'CreateTeam',
      teamId: 'acme-q1',
      data: { name: 'Look-alike', plan: 'enterprise' },
      metadata: { actorId: 'mallory', now: T0 },
    } as TeamCommand);
    expect(created.ok).toBe(true);
    const foreign = { teamId: 'acme-q1', reviewId: '2026' };
    const campaignStream = accessReviewStreamId(TEAM, 'q1-2026');
    expect(accessReviewStreamId(foreign.teamId, foreign.reviewId)).toBe(campaignStream);
    const revision = await store.streamRevision(campaignStream);

    const notFound = { ok: false, rejection: { kind: 'not_found', rule: rules.campaignExists } };
    expect(await service.view(foreign, 'mallory', DURING)).toMatchObject(notFound);
    expect(await service.evidence(foreign, 'mallory')).toMatchObject(notFound);
    expect(await service.complete(foreign, ctx('mallory'))).toMatchObject(notFound);
    expect(
      await service.decide(
        { ...foreign, itemId: 'team_role:dev', decision: 'revoke', justification: 'x' },
        ctx('rita'),
      ),
    ).toMatchObject(notFound);
    expect(await service.expireIfDue(foreign, ctx('mallory', AFTER_DUE))).toBeUndefined();
    expect(
      await service.open({ ...foreign, name: 'Mine', reviewerIds: ['mallory'], dueAt: DUE }, ctx('mallory')),
    ).toMatchObject({ ok: false, rejection: { kind: 'conflict', rule: rules.campaignIdFree } });
    expect(await store.streamRevision(campaignStream)).toBe(revision);
    expect(ok(await service.view({ teamId: TEAM, reviewId: 'q1-2026' }, 'rita', DURING))).toMatchObject({
      status: 'open',
    });
  });

  it('lets audit readers and reviewers read a campaign, nobody else', async () => {
    const { service, team } = setup();
    await enterpriseTeam(team);
    ok(
      await service.open(
        { teamId: TEAM, reviewId: 'q3', name: 'Q3', reviewerIds: ['mia'], dueAt: DUE },
        ctx('olga', T0),
      ),
    );
    for (const reader of ['olga', 'rita', 'mia'])
      expect((await service.view({ teamId: TEAM, reviewId: 'q3' }, reader, DURING)).ok).toBe(true);
    expect(await service.evidence({ teamId: TEAM, reviewId: 'q3' }, 'dev')).toMatchObject({
      ok: false,
      rejection: { kind: 'forbidden', permission: 'team.audit.view' },
    });
    expect(await service.view({ teamId: TEAM, reviewId: 'nope' }, 'olga', DURING)).toMatchObject({
      ok: false,
      rejection: { kind: 'not_found', rule: rules.campaignExists },
    });
  });
});
