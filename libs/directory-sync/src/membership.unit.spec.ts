import { desiredMembership, type DirectoryGroupView, type DirectoryUserView } from './membership';

const user = (scimId: string, memberUserId = scimId, active = true): DirectoryUserView => ({
  scimId,
  memberUserId,
  active,
});
const group = (displayName: string, members: string[], externalId?: string): DirectoryGroupView => ({
  scimId: `g-${displayName}`,
  displayName,
  ...(externalId !== undefined ? { externalId } : {}),
  memberScimIds: members,
});

describe('desiredMembership (API.md "Directory sync": a mapped group makes a member; most rights win, ties by order)', () => {
  it('an active user in a mapped group is a member with its role; one in no mapped group is not', () => {
    const desired = desiredMembership(
      [user('u1', 'ann'), user('u2', 'bob')],
      [group('Engineering', ['u1']), group('Sales', ['u2'])],
      [{ group: 'Engineering', role: 'developer' }],
    );
    expect([...desired]).toEqual([['ann', { role: 'developer', permissionGroups: [] }]]);
  });

  it('an inactive user is never a member (active: false removes them)', () => {
    const desired = desiredMembership(
      [user('u1', 'ann', false)],
      [group('Engineering', ['u1'])],
      [{ group: 'Engineering', role: 'developer' }],
    );
    expect(desired.size).toBe(0);
  });

  it('a mapping matches a group by displayName or by externalId', () => {
    const desired = desiredMembership(
      [user('u1', 'ann'), user('u2', 'bob')],
      [group('Engineering', ['u1']), group('Ops team', ['u2'], '00g1ext')],
      [
        { group: 'Engineering', role: 'developer' },
        { group: '00g1ext', role: 'security' },
      ],
    );
    expect(desired.get('ann')?.role).toBe('developer');
    expect(desired.get('bob')?.role).toBe('security');
  });

  it('the mapping with the most rights wins, whatever its order', () => {
    const desired = desiredMembership(
      [user('u1', 'ann')],
      [group('Viewers', ['u1']), group('Admins', ['u1']), group('Engineering', ['u1'])],
      [
        { group: 'Viewers', role: 'enterprise_viewer' },
        { group: 'Engineering', role: 'developer' },
        { group: 'Admins', role: 'member' },
      ],
    );
    expect(desired.get('ann')?.role).toBe('member');
  });

  it('on a tie of rights the earlier mapping wins (its groups join the union either way)', () => {
    const desired = desiredMembership(
      [user('u1', 'ann')],
      [group('B', ['u1']), group('A', ['u1'])],
      [
        { group: 'A', role: 'developer', permissionGroups: ['environment_manager'] },
        { group: 'B', role: 'developer', permissionGroups: ['create_project'] },
      ],
    );
    expect(desired.get('ann')).toEqual({
      role: 'developer',
      permissionGroups: ['create_project', 'environment_manager'],
    });
  });

  it('permission groups: the union of every matching mapping, keeping only those the winning role may hold', () => {
    const desired = desiredMembership(
      [user('u1', 'ann'), user('u2', 'bob')],
      [group('Eng', ['u1', 'u2']), group('Usage', ['u1']), group('Leads', ['u2'])],
      [
        { group: 'Eng', role: 'developer', permissionGroups: ['full_production_deployment'] },
        { group: 'Usage', permissionGroups: ['usage_viewer'] },
        { group: 'Leads', role: 'member' },
      ],
    );
    expect(desired.get('ann')).toEqual({
      role: 'developer',
      permissionGroups: ['full_production_deployment', 'usage_viewer'],
    });
    // A member already includes full production deployment: the Eng mapping's group is not granted on top.
    expect(desired.get('bob')).toEqual({ role: 'member', permissionGroups: [] });
  });

  it('a mapping without a role adds groups only to members another mapping makes', () => {
    const desired = desiredMembership(
      [user('u1', 'ann')],
      [group('Usage', ['u1'])],
      [{ group: 'Usage', permissionGroups: ['usage_viewer'] }],
    );
    expect(desired.size).toBe(0);
  });

  it('ids are data: __proto__, constructor and toString as user, SCIM and group ids', () => {
    const desired = desiredMembership(
      [
        user('__proto__', 'constructor'),
        user('toString', '__proto__'),
        user('hasOwnProperty', 'hasOwnProperty', false),
      ],
      [group('__proto__', ['__proto__', 'toString', 'hasOwnProperty', 'valueOf'], 'constructor')],
      [{ group: 'constructor', role: 'contributor' }],
    );
    expect([...desired.keys()].sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(desired)).toBe(Map.prototype);
  });

  it('a user listed twice in a group, or in two groups of one mapping name, counts once', () => {
    const desired = desiredMembership(
      [user('u1', 'ann')],
      [group('Eng', ['u1', 'u1']), group('Platform', ['u1'], 'Eng')],
      [{ group: 'Eng', role: 'developer', permissionGroups: ['create_project'] }],
    );
    expect([...desired]).toEqual([['ann', { role: 'developer', permissionGroups: ['create_project'] }]]);
  });
});
