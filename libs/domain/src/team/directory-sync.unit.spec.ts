import type { TeamEvent } from './events';
import { ruleIds } from '../policy/policy';
import { cmd, enterpriseTeam, given, now, proTeam } from '../testing/team-spec';
import { foldTeam } from './state';

const HASH = 'a'.repeat(64);
const ROTATED = 'b'.repeat(64);
const connected = (by = 'owner1'): TeamEvent => ({
  type: 'DirectoryConnected',
  data: {
    ...now(by),
    directoryId: 'dir-1',
    tokenHash: HASH,
    before: null,
    after: { directoryId: 'dir-1', name: 'Okta' },
  },
});

describe('directory sync connection (API.md "Directory sync"; POLICY.md "Who acts, beyond people")', () => {
  it('an owner connects the directory: one DirectoryConnected with the token only as its hash', () => {
    given(enterpriseTeam())
      .when(cmd('ConnectDirectory', 'owner1', { directoryId: 'dir-1', name: 'Okta', tokenHash: HASH }))
      .then([connected()]);
  });

  it('connecting again rotates the token and keeps the directory id (its SCIM URL)', () => {
    given([...enterpriseTeam(), connected()])
      .when(cmd('ConnectDirectory', 'owner1', { directoryId: 'dir-2', name: 'Okta EU', tokenHash: ROTATED }))
      .then([
        {
          type: 'DirectoryTokenRotated',
          data: {
            ...now('owner1'),
            directoryId: 'dir-1',
            tokenHash: ROTATED,
            before: { directoryId: 'dir-1', name: 'Okta' },
            after: { directoryId: 'dir-1', name: 'Okta EU' },
          },
        },
      ]);
    const state = foldTeam([...enterpriseTeam(), connected()]);
    expect(state.status === 'active' && state.directory).toMatchObject({ directoryId: 'dir-1', tokenHash: HASH });
  });

  it('only an owner connects or disconnects: 403 team.members.roles.manage (POLICY.md team-level permissions)', () => {
    given(enterpriseTeam())
      .when(cmd('ConnectDirectory', 'member1', { directoryId: 'dir-1', name: 'Okta', tokenHash: HASH }))
      .thenRejects({ kind: 'forbidden', permission: 'team.members.roles.manage' });
    given([...enterpriseTeam(), connected()])
      .when(cmd('DisconnectDirectory', 'member1', {}))
      .thenRejects({ kind: 'forbidden', permission: 'team.members.roles.manage' });
  });

  it(`directory sync is Enterprise only (422 ${ruleIds.planDirectorySync})`, () => {
    given(proTeam())
      .when(cmd('ConnectDirectory', 'owner1', { directoryId: 'dir-1', name: 'Okta', tokenHash: HASH }))
      .thenRejects({ kind: 'policy', rule: ruleIds.planDirectorySync });
  });

  it(`a plan change away from Enterprise with a directory connected is refused, listing it (${ruleIds.planDowngradeConflict})`, () => {
    const rejection = given([...enterpriseTeam(), connected()])
      .when(cmd('ChangePlan', 'owner1', { plan: 'pro' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.planDowngradeConflict });
    expect(JSON.stringify(rejection)).toContain('directory:dir-1');
  });

  it('disconnecting names the directory; without one it is 404 (rule directory-sync.connected)', () => {
    given([...enterpriseTeam(), connected()])
      .when(cmd('DisconnectDirectory', 'owner1', {}))
      .then([
        {
          type: 'DirectoryDisconnected',
          data: { ...now('owner1'), directoryId: 'dir-1', before: { directoryId: 'dir-1', name: 'Okta' }, after: null },
        },
      ]);
    given(enterpriseTeam())
      .when(cmd('DisconnectDirectory', 'owner1', {}))
      .thenRejects({ kind: 'not_found', rule: ruleIds.directoryConnected });
    const state = foldTeam([
      ...enterpriseTeam(),
      connected(),
      {
        type: 'DirectoryDisconnected',
        data: { ...now('owner1'), directoryId: 'dir-1', before: { directoryId: 'dir-1', name: 'Okta' }, after: null },
      },
    ]);
    expect(state.status === 'active' && state.directory).toBeUndefined();
  });
});
