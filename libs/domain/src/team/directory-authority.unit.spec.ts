import type { DirectoryRoleMappingRef, TeamEvent } from './events';
import { ruleIds, type PermissionGroup, type TeamRole } from '../policy/policy';
import { cmd, EARLIER, enterpriseTeam, given, now, past, TEAM } from '../testing/team-spec';
import { policyVersion } from '../policy/policy';
import { foldTeam } from './state';
import { teamStateFromJson, teamStateToJson } from './state-codec';

const SCIM = 'scim:dir-1';
const connected = (): TeamEvent => ({
  type: 'DirectoryConnected',
  data: {
    teamId: TEAM,
    actorId: 'owner1',
    occurredAt: EARLIER,
    policyVersion,
    directoryId: 'dir-1',
    tokenHash: 'a'.repeat(64),
    before: null,
    after: { directoryId: 'dir-1', name: 'Okta' },
  },
});
const mapped = (mappings: DirectoryRoleMappingRef[]): TeamEvent => ({
  type: 'DirectoryRoleMappingsSet',
  data: {
    teamId: TEAM,
    actorId: 'owner1',
    occurredAt: EARLIER,
    policyVersion,
    directoryId: 'dir-1',
    before: { mappings: [] },
    after: { mappings },
  },
});
const standard: DirectoryRoleMappingRef[] = [
  { group: 'Engineering', role: 'developer', permissionGroups: ['create_project'] },
  { group: 'Staff', role: 'member' },
];
const withDirectory = (mappings = standard, extra: TeamEvent[] = []): TeamEvent[] => [
  ...enterpriseTeam(),
  connected(),
  mapped(mappings),
  ...extra,
];
const added = (userId: string, role: TeamRole): TeamEvent => past.memberAdded(userId, role, SCIM);
const granted = (userId: string, group: PermissionGroup, by = SCIM): TeamEvent => past.groupGranted(userId, group, by);

describe('SetDirectoryRoleMappings (API.md "Directory sync": PUT …/directory-sync/role-mappings)', () => {
  it('an owner sets the mappings: one DirectoryRoleMappingsSet with before and after', () => {
    given([...enterpriseTeam(), connected()])
      .when(cmd('SetDirectoryRoleMappings', 'owner1', { mappings: standard }))
      .then([
        {
          type: 'DirectoryRoleMappingsSet',
          data: { ...now('owner1'), directoryId: 'dir-1', before: { mappings: [] }, after: { mappings: standard } },
        },
      ]);
    const state = foldTeam(withDirectory());
    expect(state.status === 'active' && state.directory?.mappings).toEqual(standard);
  });

  it('the same mappings again append nothing', () => {
    given(withDirectory())
      .when(cmd('SetDirectoryRoleMappings', 'owner1', { mappings: standard }))
      .then([]);
  });

  it('only an owner sets them (403 team.members.roles.manage), and only with a directory connected (404)', () => {
    given([...enterpriseTeam(), connected()])
      .when(cmd('SetDirectoryRoleMappings', 'member1', { mappings: standard }))
      .thenRejects({ kind: 'forbidden', permission: 'team.members.roles.manage' });
    given(enterpriseTeam())
      .when(cmd('SetDirectoryRoleMappings', 'owner1', { mappings: standard }))
      .thenRejects({ kind: 'not_found', rule: ruleIds.directoryConnected });
  });

  it.each([
    [[{ group: '', role: 'member' }], 'mappings[0].group'],
    [
      [
        { group: 'A', role: 'member' },
        { group: 'A', role: 'developer' },
      ],
      'mappings[1].group',
    ],
    [[{ group: 'A' }], 'mappings[0]'],
    [[{ group: 'A', role: 'admin' }], 'mappings[0].role'],
    [[{ group: 'A', role: 'developer', permissionGroups: ['root'] }], 'mappings[0].permissionGroups[0]'],
    [
      [{ group: 'A', role: 'developer', permissionGroups: ['create_project', 'create_project'] }],
      'mappings[0].permissionGroups[1]',
    ],
  ])('a malformed mapping is 400 naming the field (%j → %s)', (mappings, field) => {
    given([...enterpriseTeam(), connected()])
      .when(cmd('SetDirectoryRoleMappings', 'owner1', { mappings } as never))
      .thenRejects({ kind: 'invalid', field, rule: ruleIds.directoryMappingValid });
  });

  it('a mapping that gives a role a group it may not hold is 422 under the permission-group rules', () => {
    given([...enterpriseTeam(), connected()])
      .when(
        cmd('SetDirectoryRoleMappings', 'owner1', {
          mappings: [{ group: 'A', role: 'member', permissionGroups: ['usage_viewer'] }],
        }),
      )
      .thenRejects({ kind: 'policy', rule: ruleIds.groupIncompatible });
    given([...enterpriseTeam(), connected()])
      .when(
        cmd('SetDirectoryRoleMappings', 'owner1', {
          mappings: [{ group: 'A', role: 'member', permissionGroups: ['create_project'] }],
        }),
      )
      .thenRejects({ kind: 'policy', rule: ruleIds.groupAlreadyIncluded });
  });
});

describe('POLICY.md "Who acts, beyond people", directory row: a directory acts exactly as its role mappings say', () => {
  it('adds, changes and removes its members and grants and revokes the groups its mappings name, with no team role', () => {
    given(withDirectory())
      .when(cmd('AddMember', SCIM, { userId: 'ann', role: 'developer' }))
      .then([
        { type: 'MemberAdded', data: { ...now(SCIM), userId: 'ann', before: null, after: { role: 'developer' } } },
      ]);
    const state = foldTeam(withDirectory(standard, [added('ann', 'developer')]));
    expect(state.status === 'active' && state.members.get('ann')?.provisionedBy).toBe('dir-1');
    given(withDirectory(standard, [added('ann', 'developer')]))
      .when(cmd('GrantPermissionGroup', SCIM, { userId: 'ann', group: 'create_project' }))
      .thenAccepts();
    given(withDirectory(standard, [added('ann', 'developer')]))
      .when(cmd('ChangeTeamRole', SCIM, { userId: 'ann', role: 'member' }))
      .thenAccepts();
    given(withDirectory(standard, [added('ann', 'developer'), granted('ann', 'create_project')]))
      .when(cmd('RevokePermissionGroup', SCIM, { userId: 'ann', group: 'create_project' }))
      .thenAccepts();
    given(withDirectory(standard, [added('ann', 'developer')]))
      .when(cmd('RemoveMember', SCIM, { userId: 'ann' }))
      .thenAccepts();
  });

  it(`a directory that is not the team's connected one is refused (${ruleIds.directoryIsConnected})`, () => {
    given(withDirectory())
      .when(cmd('AddMember', 'scim:dir-2', { userId: 'ann', role: 'developer' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.directoryIsConnected });
    given(enterpriseTeam())
      .when(cmd('AddMember', SCIM, { userId: 'ann', role: 'developer' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.directoryIsConnected });
    const disconnected: TeamEvent = {
      type: 'DirectoryDisconnected',
      data: { ...now('owner1'), directoryId: 'dir-1', before: { directoryId: 'dir-1', name: 'Okta' }, after: null },
    };
    given(withDirectory(standard, [added('ann', 'developer'), disconnected]))
      .when(cmd('RemoveMember', SCIM, { userId: 'ann' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.directoryIsConnected });
  });

  it.each([
    ['RenameTeam', { name: 'Mine' }],
    ['ChangePlan', { plan: 'pro' }],
    ['CreateProject', { projectId: 'p9', name: 'p9' }],
    ['AssignProjectRole', { projectId: 'web', userId: 'contrib1', role: 'project_admin' }],
    ['SetDirectoryRoleMappings', { mappings: [{ group: 'Staff', role: 'owner' }] }],
    ['DisconnectDirectory', {}],
  ])(
    `a directory issues only member and group commands: %s is refused (${ruleIds.directoryCommandAllowed})`,
    (type, data) => {
      given(withDirectory())
        .when(cmd(type as never, SCIM, data as never))
        .thenRejects({ kind: 'policy', rule: ruleIds.directoryCommandAllowed });
    },
  );

  it(`a role or group no mapping names is refused (${ruleIds.directoryMappingRequired})`, () => {
    given(withDirectory())
      .when(cmd('AddMember', SCIM, { userId: 'ann', role: 'security' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.directoryMappingRequired });
    given(withDirectory(standard, [added('ann', 'developer')]))
      .when(cmd('ChangeTeamRole', SCIM, { userId: 'ann', role: 'contributor' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.directoryMappingRequired });
    given(withDirectory(standard, [added('ann', 'developer')]))
      .when(cmd('GrantPermissionGroup', SCIM, { userId: 'ann', group: 'environment_manager' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.directoryMappingRequired });
  });

  it(`never makes or unmakes an owner unless a mapping names owner (${ruleIds.directoryOwnerNeedsMapping})`, () => {
    given(withDirectory())
      .when(cmd('AddMember', SCIM, { userId: 'ann', role: 'owner' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.directoryOwnerNeedsMapping });
    given(withDirectory())
      .when(cmd('ChangeTeamRole', SCIM, { userId: 'member1', role: 'owner' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.directoryOwnerNeedsMapping });
    // An owner the directory provisioned earlier, under a mapping since removed, stays an owner.
    const ownerProvisioned = withDirectory(standard, [added('boss', 'owner')]);
    given(ownerProvisioned)
      .when(cmd('ChangeTeamRole', SCIM, { userId: 'boss', role: 'member' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.directoryOwnerNeedsMapping });
    given(ownerProvisioned)
      .when(cmd('RemoveMember', SCIM, { userId: 'boss' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.directoryOwnerNeedsMapping });
    const ownerMapped = [...standard, { group: 'Admins', role: 'owner' as const }];
    given(withDirectory(ownerMapped))
      .when(cmd('AddMember', SCIM, { userId: 'ann', role: 'owner' }))
      .thenAccepts();
    given(withDirectory(ownerMapped, [added('boss', 'owner')]))
      .when(cmd('ChangeTeamRole', SCIM, { userId: 'boss', role: 'member' }))
      .thenAccepts();
    given(withDirectory(ownerMapped, [added('boss', 'owner')]))
      .when(cmd('RemoveMember', SCIM, { userId: 'boss' }))
      .thenAccepts();
  });

  it(`never removes or demotes the last owner, even when a mapping names owner (${ruleIds.lastOwner})`, () => {
    const ownerMapped = [...standard, { group: 'Admins', role: 'owner' as const }];
    // The only owner, provisioned by the directory; the team's creator has left.
    const lastOwnerByDirectory: TeamEvent[] = [
      ...withDirectory(ownerMapped, [added('boss', 'owner')]),
      {
        type: 'MemberRemoved',
        data: {
          ...now('owner1'),
          userId: 'owner1',
          before: { role: 'owner', permissionGroups: [], projectRoles: {} },
          after: null,
        },
      },
    ];
    given(lastOwnerByDirectory)
      .when(cmd('RemoveMember', SCIM, { userId: 'boss' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.lastOwner });
    given(lastOwnerByDirectory)
      .when(cmd('ChangeTeamRole', SCIM, { userId: 'boss', role: 'member' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.lastOwner });
  });

  it(`removes only members it provisioned, never one an owner added by hand (${ruleIds.directoryProvisionedOnly})`, () => {
    given(withDirectory())
      .when(cmd('RemoveMember', SCIM, { userId: 'dev1' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.directoryProvisionedOnly });
  });

  it(`revokes only the groups it granted, never an owner's hand grant (${ruleIds.directoryOwnGrantsOnly})`, () => {
    given(withDirectory(standard, [added('ann', 'developer'), granted('ann', 'create_project', 'owner1')]))
      .when(cmd('RevokePermissionGroup', SCIM, { userId: 'ann', group: 'create_project' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.directoryOwnGrantsOnly });
  });

  it('every change is a normal command under the policy: the command rules still apply after the directory check', () => {
    given(withDirectory(standard, [added('ann', 'developer')]))
      .when(cmd('AddMember', SCIM, { userId: 'ann', role: 'developer' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.memberAlreadyInTeam });
    given(
      withDirectory(
        [
          { group: 'Eng', role: 'developer' },
          { group: 'Ops', role: 'member', permissionGroups: [] },
          { group: 'Usage', role: 'security', permissionGroups: ['usage_viewer'] },
        ],
        [added('ann', 'member')],
      ),
    )
      .when(cmd('GrantPermissionGroup', SCIM, { userId: 'ann', group: 'usage_viewer' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.groupIncompatible });
  });
});

describe('the directory in the stored team state (state codec)', () => {
  it('mappings and who provisioned a member survive encoding; a state stored before mappings existed reads as none', () => {
    const state = foldTeam(withDirectory(standard, [added('ann', 'developer')]));
    const decoded = teamStateFromJson(teamStateToJson(state));
    expect(decoded).toEqual(state);
    expect(decoded.status === 'active' && decoded.members.get('ann')?.provisionedBy).toBe('dir-1');
    const older = JSON.parse(teamStateToJson(foldTeam([...enterpriseTeam(), connected()]))) as {
      directory: Record<string, unknown>;
    };
    delete older.directory.mappings;
    const read = teamStateFromJson(JSON.stringify(older));
    expect(read.status === 'active' && read.directory?.mappings).toEqual([]);
  });
});
