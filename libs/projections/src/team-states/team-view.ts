import type {
  ActiveTeam,
  DirectoryRoleMappingState,
  PermissionGroup,
  ProjectRole,
  ProjectSecurity,
  TeamRole,
} from '@access-audit/domain';

export interface TeamView {
  id: string;
  name: string;
  plan: string;
  members: Array<{
    userId: string;
    role: TeamRole;
    permissionGroups: PermissionGroup[];
    /** Explicit (contributor) project roles only; inherent ones show in the permissions answer. */
    projectRoles: Record<string, ProjectRole>;
    /** The directory that provisioned this member, when one did. */
    provisionedBy?: string;
  }>;
  projects: Array<{ id: string; name: string; security: ProjectSecurity }>;
  /** The connected identity provider and its role mappings; never its token or the token's hash. */
  directory?: { directoryId: string; name: string; mappings: DirectoryRoleMappingState[] };
}

export function teamViewOf(state: ActiveTeam): TeamView {
  return {
    id: state.id,
    name: state.name,
    plan: state.plan,
    members: [...state.members.values()]
      .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0))
      .map((member) => ({
        userId: member.userId,
        role: member.role.value,
        permissionGroups: ([...member.permissionGroups.keys()] as PermissionGroup[]).sort(),
        projectRoles: Object.fromEntries(
          [...member.projectRoles.keys()]
            .sort()
            .map((projectId) => [projectId, member.projectRoles.get(projectId)!.value]),
        ),
        ...(member.provisionedBy !== undefined ? { provisionedBy: member.provisionedBy } : {}),
      })),
    projects: [...state.projects.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((project) => ({ id: project.id, name: project.name, security: project.security })),
    ...(state.directory
      ? {
          directory: {
            directoryId: state.directory.directoryId,
            name: state.directory.name,
            mappings: state.directory.mappings.map((m) => ({ ...m })),
          },
        }
      : {}),
  };
}
