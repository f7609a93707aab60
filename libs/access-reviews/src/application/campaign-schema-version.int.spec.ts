/** Campaign events appended sealed are schema version 2 and read back through the campaign decode. */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { teamDecider, teamStreamId, type TeamCommand } from '@access-audit/domain';
import { TeamCommands } from '@access-audit/application';
import { handleCommand, MemoryEventStore, StreamLocks } from '@access-audit/event-store';
import { MasterKeys, MemorySubjectKeyStorage, SubjectKeys } from '@access-audit/privacy';
import { accessReviewStreamId } from '../campaign/events';
import { AccessReviewService } from './access-review-service';

const T0 = '2026-03-01T09:00:00.000Z';
const DURING = '2026-03-10T12:00:00.000Z';

it('a sealed campaign stream is v2, holds no justification in clear, and its evidence opens it', async () => {
  const store = new MemoryEventStore();
  const locks = new StreamLocks();
  const personalData = new SubjectKeys(new MemorySubjectKeyStorage(), new MasterKeys(randomBytes(32)));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signer = {
    keyId: 'k1',
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signBytes: (bytes: Buffer) => sign(null, bytes, privateKey).toString('base64'),
  };
  const teamCommands = new TeamCommands({ store, locks, now: () => new Date(), personalData });
  const service = new AccessReviewService({
    store,
    locks,
    teamCommands,
    signer,
    personalData,
    auditChainHead: () =>
      Promise.resolve({ streamId: 'audit-acme', revision: 0, sequence: 1, headHash: 'c'.repeat(64) }),
    onRefused: () => Promise.resolve(),
  });
  const team = async (type: TeamCommand['type'], actorId: string, data: object) => {
    const outcome = await handleCommand(
      store,
      teamStreamId('acme'),
      teamDecider,
      {
        type,
        teamId: 'acme',
        data,
        metadata: { actorId, now: T0 },
      } as TeamCommand,
      { locks },
    );
    if (!outcome.ok) throw new Error(outcome.rejection.message);
  };
  await team('CreateTeam', 'olga', { name: 'Acme', plan: 'enterprise' });
  await team('AddMember', 'olga', { userId: 'rita', role: 'enterprise_viewer' });
  await team('AddMember', 'olga', { userId: 'dev', role: 'developer' });
  const ctx = (actorId: string, now = DURING) => ({
    actorId,
    now,
    correlationId: `req-${actorId}`,
    requestContext: { ip: '192.0.2.60', userAgent: 'RitaReviewer/3.0', requestId: 'r' },
  });
  const opened = await service.open(
    { teamId: 'acme', reviewId: 'q1', name: 'Q1', reviewerIds: ['rita'], dueAt: '2026-03-31T17:00:00.000Z' },
    ctx('olga', T0),
  );
  expect(opened.ok).toBe(true);
  const decided = await service.decide(
    { teamId: 'acme', reviewId: 'q1', itemId: 'team_role:dev', decision: 'keep', justification: 'Dev still on call' },
    ctx('rita'),
  );
  expect(decided.ok).toBe(true);

  const stream = await store.readStream(accessReviewStreamId('acme', 'q1'));
  expect(stream.map((event) => event.metadata.schemaVersion)).toEqual([2, 2]);
  expect(JSON.stringify(stream)).not.toMatch(/Dev still on call|192\.0\.2\.60|RitaReviewer/);
  const evidence = await service.evidence({ teamId: 'acme', reviewId: 'q1' }, 'rita');
  expect(evidence.ok && evidence.value.evidence.decisions).toEqual([
    expect.objectContaining({ itemId: 'team_role:dev', justification: 'Dev still on call' }),
  ]);
});
