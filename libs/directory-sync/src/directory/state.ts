import type { DirectoryUserPersonal } from '../scim/resources';
import type { DirectoryEvent } from './events';

interface ResourceMeta {
  created: string;
  lastModified: string;
  /** Events that changed it: its ETag's version. */
  version: number;
}

export interface DirectoryUserRecord extends ResourceMeta {
  scimId: string;
  memberUserId: string;
  schemas: string[];
  externalId?: string;
  active: boolean;
  personal: DirectoryUserPersonal;
}

export interface DirectoryGroupRecord extends ResourceMeta {
  scimId: string;
  displayName: string;
  externalId?: string;
  memberScimIds: readonly string[];
}

/** A directory's users and groups; every collection is a Map, as any id may be `__proto__`. */
export interface DirectoryStreamState {
  users: ReadonlyMap<string, DirectoryUserRecord>;
  groups: ReadonlyMap<string, DirectoryGroupRecord>;
}

export const initialDirectoryState = (): DirectoryStreamState => ({ users: new Map(), groups: new Map() });

const touched = <R extends ResourceMeta>(record: R, at: string, change: Partial<R>): R => ({
  ...record,
  ...change,
  lastModified: at,
  version: record.version + 1,
});

function withUser(
  state: DirectoryStreamState,
  scimId: string,
  update: (u: DirectoryUserRecord) => DirectoryUserRecord,
) {
  const user = state.users.get(scimId);
  return user ? { ...state, users: new Map(state.users).set(scimId, update(user)) } : state;
}

function withGroup(
  state: DirectoryStreamState,
  scimId: string,
  update: (g: DirectoryGroupRecord) => DirectoryGroupRecord,
) {
  const group = state.groups.get(scimId);
  return group ? { ...state, groups: new Map(state.groups).set(scimId, update(group)) } : state;
}

export function evolveDirectory(state: DirectoryStreamState, event: DirectoryEvent): DirectoryStreamState {
  const at = event.data.occurredAt;
  switch (event.type) {
    case 'DirectoryUserProvisioned': {
      const { scimId, memberUserId, schemas, externalId, active, personal } = event.data;
      const user: DirectoryUserRecord = {
        scimId,
        memberUserId,
        schemas,
        ...(externalId !== undefined ? { externalId } : {}),
        active,
        personal,
        created: at,
        lastModified: at,
        version: 1,
      };
      return { ...state, users: new Map(state.users).set(scimId, user) };
    }
    case 'DirectoryUserReplaced':
    case 'DirectoryUserPatched': {
      const { scimId, schemas, externalId, personal } = event.data;
      return withUser(state, scimId, (u) => {
        const { externalId: _previous, ...rest } = u;
        return touched(rest as DirectoryUserRecord, at, {
          schemas,
          personal,
          ...(externalId !== undefined ? { externalId } : {}),
        });
      });
    }
    case 'DirectoryUserDeactivated':
      return withUser(state, event.data.scimId, (u) => touched(u, at, { active: false }));
    case 'DirectoryUserReactivated':
      return withUser(state, event.data.scimId, (u) => touched(u, at, { active: true }));
    case 'DirectoryUserDeleted': {
      const { scimId } = event.data;
      const users = new Map(state.users);
      users.delete(scimId);
      const groups = new Map<string, DirectoryGroupRecord>();
      for (const [id, group] of state.groups)
        groups.set(
          id,
          group.memberScimIds.includes(scimId)
            ? { ...group, memberScimIds: group.memberScimIds.filter((m) => m !== scimId) }
            : group,
        );
      return { users, groups };
    }
    case 'DirectoryGroupCreated': {
      const { scimId, displayName, externalId, memberScimIds } = event.data;
      const group: DirectoryGroupRecord = {
        scimId,
        displayName,
        ...(externalId !== undefined ? { externalId } : {}),
        memberScimIds,
        created: at,
        lastModified: at,
        version: 1,
      };
      return { ...state, groups: new Map(state.groups).set(scimId, group) };
    }
    case 'DirectoryGroupReplaced': {
      const { scimId, displayName, externalId, memberScimIds } = event.data;
      return withGroup(state, scimId, (g) => {
        const { externalId: _previous, ...rest } = g;
        return touched(rest as DirectoryGroupRecord, at, {
          displayName,
          memberScimIds,
          ...(externalId !== undefined ? { externalId } : {}),
        });
      });
    }
    case 'DirectoryGroupMembersChanged': {
      const { scimId, added, removed } = event.data;
      return withGroup(state, scimId, (g) => {
        const gone = new Set(removed);
        const members = new Set(g.memberScimIds.filter((m) => !gone.has(m)));
        for (const m of added) members.add(m);
        return touched(g, at, { memberScimIds: [...members] });
      });
    }
    case 'DirectoryGroupDeleted': {
      const groups = new Map(state.groups);
      groups.delete(event.data.scimId);
      return { ...state, groups };
    }
  }
}

/** The user whose userName is this one, compared case-insensitively (RFC 7643: userName is not caseExact). */
export function userByUserName(state: DirectoryStreamState, userName: string): DirectoryUserRecord | undefined {
  const lower = userName.toLowerCase();
  for (const user of state.users.values()) if (user.personal.userName.toLowerCase() === lower) return user;
  return undefined;
}
