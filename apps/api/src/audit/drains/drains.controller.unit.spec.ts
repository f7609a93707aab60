import { TeamCommands, type TeamCommandContext, type TeamCommandInput } from '@access-audit/application';
import { DrainAllowList, type AuditLog, type DrainDeliveries, type DrainSecrets } from '@access-audit/audit';
import { MemoryEventStore, StreamLocks } from '@access-audit/event-store';
import type { AuditReadAccess } from '../audit-read-access';
import { AuditDrainsController } from './drains.controller';

/**
 * The add route against a real TeamCommands on a memory store, with another command landing between the route's
 * impact preview and its command (what another request or instance can do at any time).
 */
function setup() {
  const store = new MemoryEventStore();
  const denials: string[] = [];
  let clock = Date.parse('2026-06-01T00:00:00Z');
  const commands = new TeamCommands({
    store,
    locks: new StreamLocks(),
    now: () => new Date((clock += 1_000)),
    denials: { record: async (command) => void denials.push(`${command.metadata.actorId}:${command.type}`) },
  });
  /** Run once, right after the next impact preview of an AddAuditDrain answers. */
  let betweenPreviewAndCommand: (() => Promise<unknown>) | undefined;
  const issue = commands.issue.bind(commands) as (i: TeamCommandInput, c: TeamCommandContext) => Promise<unknown>;
  jest.spyOn(commands, 'issue').mockImplementation((async (input: TeamCommandInput, context: TeamCommandContext) => {
    const outcome = await issue(input, context);
    if (context.dryRun && input.type === 'AddAuditDrain' && betweenPreviewAndCommand) {
      const run = betweenPreviewAndCommand;
      betweenPreviewAndCommand = undefined;
      await run();
    }
    return outcome;
  }) as never);
  const stored = new Map<string, unknown>();
  let failPut = false;
  const secrets = {
    put: jest.fn(async (drainId: string, credentials: unknown) => {
      if (failPut) throw new Error('disk full');
      stored.set(drainId, credentials);
    }),
  } as unknown as DrainSecrets;
  const controller = new AuditDrainsController(
    commands,
    secrets,
    {} as DrainDeliveries,
    { allow: DrainAllowList.fromEnv(undefined), delivery: {} },
    {} as AuditLog,
    {} as AuditReadAccess,
  );
  const asOlga = { actorId: 'olga', correlationId: 'setup' };
  const as = (actorId: string): TeamCommandContext => ({ actorId, correlationId: `req-${clock}` });
  const drains = async () => [
    ...(((await commands.current('acme')).state as { auditDrains?: Map<string, unknown> }).auditDrains?.keys() ?? []),
  ];
  return {
    commands: { issue, asOlga },
    controller,
    stored,
    denials,
    drains,
    as,
    failPuts: () => (failPut = true),
    between: (run: () => Promise<unknown>) => (betweenPreviewAndCommand = run),
  };
}

const add = (t: ReturnType<typeof setup>, actorId: string, url: string) =>
  t.controller.add({ teamId: 'acme' }, { url } as never, t.as(actorId));

describe('the drain add route when the team changes between its preview and its command', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(async () => {
    t = setup();
    await t.commands.issue(
      { type: 'CreateTeam', teamId: 'acme', data: { name: 'Acme', plan: 'enterprise' } },
      t.commands.asOlga,
    );
    await t.commands.issue(
      { type: 'AddMember', teamId: 'acme', data: { userId: 'mia', role: 'member' } },
      t.commands.asOlga,
    );
  });

  it('a drain the preview foresaw refused but the command added still has its secret, or is not added', async () => {
    t.failPuts();
    // mia is made security staff just after the preview refused her.
    t.between(() =>
      t.commands.issue(
        { type: 'ChangeTeamRole', teamId: 'acme', data: { userId: 'mia', role: 'security' } },
        t.commands.asOlga,
      ),
    );
    await expect(add(t, 'mia', 'https://siem.example.com/a')).rejects.toThrow('disk full');
    // The secret could not be stored: no drain may exist without one.
    expect(await t.drains()).toEqual([]);
  });

  it('a refusal foreseen and met is recorded once, and stores no secret', async () => {
    await expect(add(t, 'mia', 'https://siem.example.com/b')).rejects.toMatchObject({ problem: { status: 403 } });
    expect(t.denials).toEqual(['mia:AddAuditDrain']);
    expect(t.stored.size).toBe(0);
  });

  it('an add accepted as foreseen stores the secret before the drain exists', async () => {
    const answer = await add(t, 'olga', 'https://siem.example.com/c');
    expect(t.stored.get((answer as { drainId: string }).drainId)).toMatchObject({
      secret: (answer as { secret: string }).secret,
    });
    expect(await t.drains()).toEqual([(answer as { drainId: string }).drainId]);
    expect(t.denials).toEqual([]);
  });

  it('a drain the preview foresaw refused but that a concurrent change lets through is added with its secret', async () => {
    t.between(() =>
      t.commands.issue(
        { type: 'ChangeTeamRole', teamId: 'acme', data: { userId: 'mia', role: 'security' } },
        t.commands.asOlga,
      ),
    );
    const answer = (await add(t, 'mia', 'https://siem.example.com/d')) as { drainId: string; secret: string };
    expect(t.stored.get(answer.drainId)).toMatchObject({ secret: answer.secret });
    expect(await t.drains()).toEqual([answer.drainId]);
    expect(t.denials).toEqual([]);
  });
});
