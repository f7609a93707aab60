import { AuditTrail, CheckpointSigner } from '@access-audit/audit';
import { teamDecider, teamStreamId, type TeamCommand } from '@access-audit/domain';
import { handleCommand, MemoryEventStore } from '@access-audit/event-store';
import { auditChainHeadFromStore } from './audit-chain-head';

describe('auditChainHeadFromStore', () => {
  it('reads the head of the team audit chain as the audit trail wrote it, entries and checkpoints alike', async () => {
    const store = new MemoryEventStore();
    const trail = new AuditTrail(store, CheckpointSigner.generate(), { checkpointEvery: 2 });
    const read = auditChainHeadFromStore(store);
    expect(await read('acme')).toBeNull();

    const commands = [
      { type: 'CreateTeam', data: { name: 'Acme', plan: 'enterprise' } },
      { type: 'AddMember', data: { userId: 'bob', role: 'member' } },
      { type: 'AddMember', data: { userId: 'eve', role: 'developer' } },
    ];
    for (const [index, { type, data }] of commands.entries()) {
      const now = `2026-03-0${index + 1}T10:00:00.000Z`;
      const command = { type, teamId: 'acme', data, metadata: { actorId: 'alice', now } } as TeamCommand;
      const outcome = await handleCommand(store, teamStreamId('acme'), teamDecider, command);
      if (!outcome.ok) throw new Error(outcome.rejection.message);
      for (const event of outcome.events) await trail.recordTeamEvent(event);
      const tail = await trail.tail('acme');
      expect(await read('acme')).toEqual({
        streamId: 'audit-acme',
        revision: tail.revision,
        sequence: tail.sequence,
        headHash: tail.headHash,
      });
    }
    expect((await trail.tail('acme')).sequence).toBe(3);
    const audit = await store.readStream('audit-acme');
    expect(audit.map((record) => record.type)).toContain('AuditCheckpointSigned');
  });
});
