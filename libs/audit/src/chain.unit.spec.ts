import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { entryHash, sealEntry } from './chain';
import { genesisHash, type AuditCheckpoint, type AuditEntry, type AuditRecord } from './entry';
import { CheckpointSigner } from './signing';
import { verifyRecords, type ChainVerification } from './verify';

const signer = CheckpointSigner.generate();

function chain(length: number, checkpointEvery = 4): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prevHash = genesisHash;
  for (let sequence = 1; sequence <= length; sequence++) {
    const entry = sealEntry({
      kind: 'change',
      id: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
      teamId: 'acme',
      sequence,
      time: new Date(Date.UTC(2026, 2, 1, 10, sequence)).toISOString(),
      actor: 'alice',
      action: 'team.member.added',
      target: { userId: `user-${sequence}` },
      reason: sequence === 2 ? 'contract, "signed"\nby legal' : null,
      context: { ip: '203.0.113.7', userAgent: 'curl/8.5.0', requestId: `req-${sequence}` },
      policyVersion: '2026-11-26.1',
      prevHash,
      before: null,
      after: { role: 'member' },
      cause: null,
      source: {
        eventId: `e-${sequence}`,
        eventType: 'MemberAdded',
        streamId: 'team-acme',
        streamRevision: sequence,
        position: String(sequence * 2),
      },
    });
    records.push(entry);
    prevHash = entry.hash;
    if (sequence % checkpointEvery === 0) records.push(signer.sign('acme', sequence, entry.hash, entry.time));
  }
  return records;
}

const verify = (records: unknown[], publicKey = signer.publicKey): Promise<ChainVerification> =>
  verifyRecords(
    records.map((record, index) => ({ record, location: { line: index + 1 } })),
    publicKey,
  );

const entryAt = (records: AuditRecord[], sequence: number): AuditEntry =>
  records.find((r): r is AuditEntry => r.kind !== 'checkpoint' && r.sequence === sequence)!;

describe('hash chain', () => {
  it('hashes the previous hash together with the canonical entry without its hash', () => {
    const [first] = chain(1) as AuditEntry[];
    const { hash, ...rest } = first;
    expect(hash).toBe(
      createHash('sha256')
        .update(genesisHash + canonicalJson(rest))
        .digest('hex'),
    );
    expect(entryHash(first)).toBe(hash);
  });

  it('verifies an untouched chain and reports its head and signed extent', async () => {
    const records = chain(10);
    const result = await verify(records);
    expect(result).toEqual({
      valid: true,
      teamId: 'acme',
      entries: 10,
      head: entryAt(records, 10).hash,
      checkpoints: 2,
      signedThrough: 8,
    });
  });

  it('verifies an empty log', async () => {
    expect(await verify([])).toMatchObject({ valid: true, entries: 0, head: null });
  });

  it('names an altered entry', async () => {
    const records = chain(10);
    const altered = entryAt(records, 6);
    (altered.target as { userId: string }).userId = 'mallory';
    const result = await verify(records);
    expect(result.valid).toBe(false);
    expect(result.break).toMatchObject({ sequence: 6, entryId: altered.id, record: 'entry', line: 7 });
    expect(result.break?.reason).toMatch(/altered/);
    expect(result.entries).toBe(5);
  });

  it('names a removed entry by its sequence and the entry found in its place', async () => {
    const records = chain(10);
    const removed = entryAt(records, 3);
    const result = await verify(records.filter((r) => r !== removed));
    expect(result.break).toMatchObject({ sequence: 3, entryId: entryAt(records, 4).id, record: 'entry' });
    expect(result.break?.reason).toMatch(/entry 3 is missing/);
  });

  it('finds an entry removed and the following ones renumbered and rehashed, at the checkpoint that signed them', async () => {
    const records = chain(8).filter((r) => r.kind !== 'checkpoint') as AuditEntry[];
    const rewritten: AuditRecord[] = [];
    let prevHash = genesisHash;
    for (const entry of records.filter((e) => e.sequence !== 2)) {
      const { hash: _old, ...rest } = entry;
      const sealed = sealEntry({ ...rest, sequence: rewritten.length + 1, prevHash });
      rewritten.push(sealed);
      prevHash = sealed.hash;
      if (entry.sequence === 4) rewritten.push(chain(8).find((r) => r.kind === 'checkpoint')!);
    }
    const result = await verify(rewritten);
    expect(result.break).toMatchObject({ sequence: 4, record: 'checkpoint' });
  });

  it('finds a tampered checkpoint signature and one signed by another key', async () => {
    const records = chain(8);
    const checkpoint = records.find((r): r is AuditCheckpoint => r.kind === 'checkpoint')!;
    checkpoint.signedAt = '2027-01-01T00:00:00.000Z';
    expect((await verify(records)).break).toMatchObject({ sequence: 4, record: 'checkpoint' });
    const other = CheckpointSigner.generate();
    const result = await verify(chain(8), other.publicKey);
    expect(result.break?.reason).toMatch(/not by the given public key/);
  });

  it('finds entries removed from the end when a checkpoint still vouches for them', async () => {
    const records = chain(8);
    const withoutEntry8 = records.filter((r) => !(r.kind !== 'checkpoint' && r.sequence === 8));
    const result = await verify(withoutEntry8);
    expect(result.break).toMatchObject({ sequence: 8, record: 'checkpoint' });
    expect(result.break?.reason).toMatch(/only 7 precede it/);
  });

  it('refuses records of another team and records of unknown kinds', async () => {
    const records = chain(3);
    const foreign = { ...entryAt(records, 2), teamId: 'other' };
    expect((await verify([records[0], foreign])).break).toMatchObject({ sequence: 2 });
    expect((await verify([records[0], { kind: 'note' }])).break?.reason).toMatch(/unrecognised record kind/);
  });
});
