/** directoryId → teamId from the team streams, and the token checked against the team's current state. */
import { createHash, randomUUID } from 'node:crypto';
import type { TeamState } from '@access-audit/domain';
import { MemoryEventStore } from '@access-audit/event-store';
import { DirectoryAuthenticator, DirectoryTeams } from './directory-access';

const connected = (directoryId: string) => ({
  id: randomUUID(),
  type: 'DirectoryConnected',
  data: { directoryId, tokenHash: 'h', before: null, after: { directoryId, name: 'IdP' } },
});

describe('DirectoryTeams', () => {
  it('finds a directory connected after the first lookups, reading only the log after what it read', async () => {
    const store = new MemoryEventStore();
    await store.append('team-acme', [connected('dir_a')], 'no_stream');
    const teams = new DirectoryTeams(store);
    expect(await teams.teamOf('dir_a')).toBe('acme');
    expect(await teams.teamOf('dir_b')).toBeUndefined();
    await store.append('team-__proto__', [connected('dir_b')], 'no_stream');
    // Lookups at once share one read of the log.
    const [first, second] = await Promise.all([teams.teamOf('dir_x'), teams.teamOf('dir_b')]);
    expect([first, second]).toEqual([undefined, '__proto__']);
    // Other streams never name a directory's team.
    await store.append('access-review-acme-r', [connected('dir_c')], 'no_stream');
    expect(await teams.teamOf('dir_c')).toBeUndefined();
  });
});

describe('DirectoryAuthenticator', () => {
  const hash = (token: string) => createHash('sha256').update(token).digest('hex');
  const team = (directory: { directoryId: string; tokenHash: string } | undefined): TeamState =>
    ({
      status: 'active',
      id: 'acme',
      name: 'Acme',
      plan: 'enterprise',
      createdAt: '2026-01-01T00:00:00Z',
      members: new Map(),
      projects: new Map(),
      ...(directory
        ? { directory: { ...directory, name: 'IdP', connectedAt: '2026-01-01T00:00:00Z', mappings: [] } }
        : {}),
    }) as TeamState;

  async function authenticator(current: TeamState) {
    const store = new MemoryEventStore();
    await store.append('team-acme', [connected('dir_a')], 'no_stream');
    return new DirectoryAuthenticator(
      { current: async () => ({ state: current, streamRevision: 0 }) },
      new DirectoryTeams(store),
    );
  }

  it('admits the current token of the connected directory only', async () => {
    const auth = await authenticator(team({ directoryId: 'dir_a', tokenHash: hash('scim_good') }));
    expect(await auth.authenticate('dir_a', 'scim_good')).toMatchObject({ ok: true, teamId: 'acme' });
    for (const [directoryId, token] of [
      ['dir_a', 'scim_rotated_away'],
      ['dir_a', undefined],
      ['dir_a', ''],
      ['dir_unknown', 'scim_good'],
    ] as const)
      expect(await auth.authenticate(directoryId, token)).toMatchObject({ ok: false, rejection: { status: 401 } });
  });

  it('refuses once the team has another directory or none', async () => {
    const replaced = await authenticator(team({ directoryId: 'dir_new', tokenHash: hash('scim_good') }));
    expect(await replaced.authenticate('dir_a', 'scim_good')).toMatchObject({ ok: false, rejection: { status: 401 } });
    const disconnected = await authenticator(team(undefined));
    expect(await disconnected.authenticate('dir_a', 'scim_good')).toMatchObject({
      ok: false,
      rejection: { status: 401 },
    });
  });
});
