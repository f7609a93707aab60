/** After a directory write: the mappings of the team's current state applied to the whole directory, for the scope. */
import type { TeamCommands } from '@access-audit/application';
import type { TeamState } from '@access-audit/domain';
import { WrongExpectedRevisionError } from '@access-audit/event-store';
import type { DesiredMember } from '../membership';
import { DirectoryReconcileError, type DirectoryReconciler } from '../reconciler';
import { evolveDirectory, initialDirectoryState } from './state';
import { directoryTeamSync, scimRejectionOf } from './team-sync';

const directory = [
  {
    type: 'DirectoryUserProvisioned',
    data: {
      directoryId: 'd',
      occurredAt: 't',
      scimId: 'u1',
      memberUserId: 'ann',
      schemas: [],
      active: true,
      personal: { userName: 'ann', attributes: {} },
    },
  },
  {
    type: 'DirectoryUserProvisioned',
    data: {
      directoryId: 'd',
      occurredAt: 't',
      scimId: 'u2',
      memberUserId: 'bob',
      schemas: [],
      active: false,
      personal: { userName: 'bob', attributes: {} },
    },
  },
  {
    type: 'DirectoryGroupCreated',
    data: { directoryId: 'd', occurredAt: 't', scimId: 'g', displayName: 'Eng', memberScimIds: ['u1', 'u2'] },
  },
].reduce((state, event) => evolveDirectory(state, event as never), initialDirectoryState());

const teamWith = (directoryId: string): TeamState =>
  ({
    status: 'active',
    directory: { directoryId, mappings: [{ group: 'Eng', role: 'developer' }] },
  }) as unknown as TeamState;

describe('directoryTeamSync', () => {
  const context = { teamId: 'acme', correlationId: 'req-1' };
  const commands = (state: TeamState) =>
    ({ current: async () => ({ state, streamRevision: 3 }) }) as unknown as TeamCommands;

  it('passes what the current mappings make of the directory, the scope and the request id to the reconciler', async () => {
    const calls: Array<[Map<string, DesiredMember>, readonly string[], unknown]> = [];
    const reconciler = {
      reconcile: async (...args: (typeof calls)[number]) => (calls.push(args), { ok: true, positions: [] }),
    } as unknown as DirectoryReconciler;
    const sync = directoryTeamSync({ commands: commands(teamWith('d')), reconciler });
    expect(await sync({ directoryId: 'd', directory, scope: ['ann', 'bob'], context })).toEqual({ ok: true });
    expect(calls).toEqual([
      [
        new Map([['ann', { role: 'developer', permissionGroups: [] }]]),
        ['ann', 'bob'],
        { directoryId: 'd', teamId: 'acme', correlationId: 'req-1' },
      ],
    ]);
  });

  it('answers a refusal as a SCIM error naming the rule, and a lost race as 503', async () => {
    const refusing = {
      reconcile: async () => ({
        ok: false,
        refusal: { kind: 'policy', rule: 'team.at-least-one-owner', message: 'last owner' },
        appliedBefore: [],
      }),
    } as unknown as DirectoryReconciler;
    expect(
      await directoryTeamSync({ commands: commands(teamWith('d')), reconciler: refusing })({
        directoryId: 'd',
        directory,
        scope: ['ann'],
        context,
      }),
    ).toEqual({
      ok: false,
      rejection: {
        status: 403,
        rule: 'team.at-least-one-owner',
        detail: expect.stringContaining('team.at-least-one-owner'),
      },
    });
    const racing = {
      reconcile: async () => {
        throw new DirectoryReconcileError('conflict', new WrongExpectedRevisionError('team-acme', 3, 4));
      },
    } as unknown as DirectoryReconciler;
    expect(
      await directoryTeamSync({ commands: commands(teamWith('d')), reconciler: racing })({
        directoryId: 'd',
        directory,
        scope: ['ann'],
        context,
      }),
    ).toMatchObject({
      ok: false,
      rejection: { status: 503 },
    });
  });

  it('maps each kind of refusal to its SCIM status', () => {
    expect(scimRejectionOf({ kind: 'forbidden', permission: 'team.members.invite', message: 'm' })).toMatchObject({
      status: 403,
      rule: 'team.members.invite',
    });
    expect(scimRejectionOf({ kind: 'conflict', rule: 'team.exists', message: 'm' } as never)).toMatchObject({
      status: 409,
      scimType: 'uniqueness',
    });
    expect(scimRejectionOf({ kind: 'not_found', rule: 'team.exists', message: 'm' } as never)).toMatchObject({
      status: 404,
    });
    expect(scimRejectionOf({ kind: 'invalid', field: 'userId', rule: 'x', message: 'm' } as never)).toMatchObject({
      status: 400,
      scimType: 'invalidValue',
    });
  });

  it('with no scope does not read the team at all', async () => {
    const untouchable = {
      current: async () => {
        throw new Error('read');
      },
    } as unknown as TeamCommands;
    expect(
      await directoryTeamSync({ commands: untouchable, reconciler: {} as DirectoryReconciler })({
        directoryId: 'd',
        directory,
        scope: [],
        context,
      }),
    ).toEqual({ ok: true });
  });
});
