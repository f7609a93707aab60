import type { PermissionGroup, ProjectRole } from '../policy/policy';
import type { ActiveTeam, AuditDrainState, Grant, MemberState, ProjectState, TeamState } from './state';

/** The shape of `TeamState` as encoded here; raised whenever `evolve` or the state's shape changes what a fold holds. */
export const teamStateVersion = 3;

/** A team state as plain JSON: every Map becomes its entries, in order, so a decoded state is the folded one. */
export interface EncodedMember {
  userId: string;
  role: MemberState['role'];
  permissionGroups: Array<[PermissionGroup, Grant<PermissionGroup>]>;
  projectRoles: Array<[string, Grant<ProjectRole>]>;
  provisionedBy?: string;
}

export type EncodedTeamState =
  | { status: 'none' }
  | (Omit<ActiveTeam, 'members' | 'projects' | 'auditDrains'> & {
      members: Array<[string, EncodedMember]>;
      projects: Array<[string, ProjectState]>;
      auditDrains?: Array<[string, AuditDrainState]>;
    });

// Entries in the Maps' own order, so a decoded state iterates exactly as the folded one did.
const byKey = <K extends string, V>(map: ReadonlyMap<K, V>): Array<[K, V]> => [...map.entries()];

export function encodeTeamState(state: TeamState): EncodedTeamState {
  if (state.status !== 'active') return state;
  const { auditDrains, ...rest } = state;
  return {
    ...rest,
    members: byKey(state.members).map(([userId, member]) => [
      userId,
      { ...member, permissionGroups: byKey(member.permissionGroups), projectRoles: byKey(member.projectRoles) },
    ]),
    projects: byKey(state.projects),
    ...(auditDrains ? { auditDrains: byKey(auditDrains) } : {}),
  };
}

export function decodeTeamState(encoded: EncodedTeamState): TeamState {
  if (encoded.status !== 'active') return encoded;
  const { auditDrains, ...rest } = encoded;
  // A state stored before role mappings existed holds a directory without them: it had none.
  const directory = rest.directory && { ...rest.directory, mappings: rest.directory.mappings ?? [] };
  return {
    ...rest,
    ...(directory ? { directory } : {}),
    members: new Map(
      encoded.members.map(([userId, member]) => [
        userId,
        { ...member, permissionGroups: new Map(member.permissionGroups), projectRoles: new Map(member.projectRoles) },
      ]),
    ),
    projects: new Map(encoded.projects),
    ...(auditDrains ? { auditDrains: new Map(auditDrains) } : {}),
  };
}

export const teamStateToJson = (state: TeamState): string => JSON.stringify(encodeTeamState(state));
export const teamStateFromJson = (json: string): TeamState => decodeTeamState(JSON.parse(json) as EncodedTeamState);
