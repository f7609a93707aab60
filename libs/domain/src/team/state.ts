import {
  directoryIdOfActor,
  permissionGroups,
  type PermissionGroup,
  type Plan,
  type ProjectRole,
  type TeamRole,
} from '../policy/policy';
import type { ProjectSecurity, TeamEvent } from './events';

/** A grant and who made it (separation of duties in access reviews needs the granter). */
export interface Grant<T> {
  value: T;
  grantedBy: string;
  grantedAt: string;
}

export interface MemberState {
  userId: string;
  role: Grant<TeamRole>;
  permissionGroups: ReadonlyMap<PermissionGroup, Grant<PermissionGroup>>;
  /** Explicit project roles (contributors only), by project id. */
  projectRoles: ReadonlyMap<string, Grant<ProjectRole>>;
  /** The directory that added this member (actor `scim:{directoryId}`); only such members does it ever remove. */
  provisionedBy?: string;
}

/** The groups a member holds, in policy order. */
export const heldGroups = (member: MemberState): PermissionGroup[] =>
  permissionGroups.filter((g) => member.permissionGroups.has(g));

export interface ProjectState {
  id: string;
  name: string;
  createdAt: string;
  security: ProjectSecurity;
}

/** The identity provider connected over SCIM; its token is known only by its SHA-256 hash. */
export interface DirectoryState {
  directoryId: string;
  name: string;
  tokenHash: string;
  connectedAt: string;
  /** Which directory groups give which team role and permission groups, in order (API.md "Directory sync"). */
  mappings: readonly DirectoryRoleMappingState[];
}

/** One role mapping: a directory group's displayName or externalId → a team role and/or permission groups. */
export interface DirectoryRoleMappingState {
  group: string;
  role?: TeamRole;
  permissionGroups?: readonly PermissionGroup[];
}

/** An audit drain; `resumes` counts AuditDrainResumed, so a delivery worker knows a pause it recorded was lifted. */
export interface AuditDrainState {
  drainId: string;
  url: string;
  description?: string;
  addedAt: string;
  resumes: number;
}

export interface ActiveTeam {
  status: 'active';
  id: string;
  name: string;
  plan: Plan;
  createdAt: string;
  /** Keyed by Map, never by property: any id may be `constructor` or `__proto__`. */
  members: ReadonlyMap<string, MemberState>;
  projects: ReadonlyMap<string, ProjectState>;
  directory?: DirectoryState;
  /** By drain id; absent until the first drain is added. */
  auditDrains?: ReadonlyMap<string, AuditDrainState>;
  /** Subjects whose erasure this team recorded (and who did not join again since): a second erasure records nothing. */
  erasedSubjects?: readonly string[];
}

export type TeamState = { status: 'none' } | ActiveTeam;

export const initialTeamState = (): TeamState => ({ status: 'none' });

const withEntry = <K, V>(map: ReadonlyMap<K, V>, key: K, value: V): Map<K, V> => new Map(map).set(key, value);

const without = <K, V>(map: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> => {
  if (!map.has(key)) return map;
  const copy = new Map(map);
  copy.delete(key);
  return copy;
};

function updateMember(team: ActiveTeam, userId: string, update: (m: MemberState) => MemberState): ActiveTeam {
  const member = team.members.get(userId);
  if (!member) return team;
  return { ...team, members: withEntry(team.members, userId, update(member)) };
}

function updateSecurity(
  team: ActiveTeam,
  projectId: string,
  update: (s: ProjectSecurity) => ProjectSecurity,
): ActiveTeam {
  const project = team.projects.get(projectId);
  if (!project) return team;
  return { ...team, projects: withEntry(team.projects, projectId, { ...project, security: update(project.security) }) };
}

type Protection = ProjectSecurity['deploymentProtection'];
const updateProtection = (team: ActiveTeam, projectId: string, update: (p: Protection) => Protection): ActiveTeam =>
  updateSecurity(team, projectId, (s) => ({ ...s, deploymentProtection: update(s.deploymentProtection) }));

/** Folds one event into the state. Pure; unknown subjects are ignored so cascades can follow their cause. */
export function evolve(state: TeamState, event: TeamEvent): TeamState {
  if (event.type === 'TeamCreated') {
    const { teamId, name, plan, ownerId, occurredAt } = event.data;
    return {
      status: 'active',
      id: teamId,
      name,
      plan,
      createdAt: occurredAt,
      members: new Map([
        [
          ownerId,
          {
            userId: ownerId,
            role: { value: 'owner', grantedBy: event.data.actorId, grantedAt: occurredAt },
            permissionGroups: new Map(),
            projectRoles: new Map(),
          },
        ],
      ]),
      projects: new Map(),
    };
  }
  if (state.status !== 'active') return state;
  const team = state;
  const grant = <T>(value: T): Grant<T> => ({ value, grantedBy: event.data.actorId, grantedAt: event.data.occurredAt });

  switch (event.type) {
    case 'TeamRenamed':
      return { ...team, name: event.data.after.name };
    case 'TeamPlanChanged':
      return { ...team, plan: event.data.after.plan };
    case 'MemberAdded': {
      const provisionedBy = directoryIdOfActor(event.data.actorId);
      return {
        ...rejoined(team, event.data.userId),
        members: withEntry(team.members, event.data.userId, {
          userId: event.data.userId,
          role: grant(event.data.after.role),
          permissionGroups: new Map(),
          projectRoles: new Map(),
          ...(provisionedBy !== undefined ? { provisionedBy } : {}),
        }),
      };
    }
    case 'TeamRoleChanged':
      return updateMember(team, event.data.userId, (m) => ({ ...m, role: grant(event.data.after.role) }));
    case 'MemberRemoved':
      return { ...team, members: without(team.members, event.data.userId) };
    case 'PermissionGroupGranted':
      return updateMember(team, event.data.userId, (m) => ({
        ...m,
        permissionGroups: withEntry(m.permissionGroups, event.data.group, grant(event.data.group)),
      }));
    case 'PermissionGroupRevoked':
      return updateMember(team, event.data.userId, (m) => ({
        ...m,
        permissionGroups: without(m.permissionGroups, event.data.group),
      }));
    case 'ProjectCreated':
      return {
        ...team,
        projects: withEntry(team.projects, event.data.projectId, {
          id: event.data.projectId,
          name: event.data.name,
          createdAt: event.data.occurredAt,
          security: event.data.security,
        }),
      };
    case 'ProjectDeleted':
      return { ...team, projects: without(team.projects, event.data.projectId) };
    case 'ProjectRoleAssigned':
      return updateMember(team, event.data.userId, (m) => ({
        ...m,
        projectRoles: withEntry(m.projectRoles, event.data.projectId, grant(event.data.after.role)),
      }));
    case 'ProjectRoleRevoked':
      return updateMember(team, event.data.userId, (m) => ({
        ...m,
        projectRoles: without(m.projectRoles, event.data.projectId),
      }));
    case 'FirewallChanged':
      return updateSecurity(team, event.data.projectId, (s) => ({
        ...s,
        firewall: { enabled: event.data.after.enabled },
      }));
    case 'IpBlockAdded':
      return updateSecurity(team, event.data.projectId, (s) => ({ ...s, ipBlocks: [...s.ipBlocks, event.data.cidr] }));
    case 'IpBlockRemoved':
      return updateSecurity(team, event.data.projectId, (s) => ({
        ...s,
        ipBlocks: s.ipBlocks.filter((c) => c !== event.data.cidr),
      }));
    case 'RateLimitRuleSet':
      return updateSecurity(team, event.data.projectId, (s) => ({
        ...s,
        rateLimitRules: [...s.rateLimitRules.filter((r) => r.id !== event.data.ruleId), event.data.after],
      }));
    case 'RateLimitRuleRemoved':
      return updateSecurity(team, event.data.projectId, (s) => ({
        ...s,
        rateLimitRules: s.rateLimitRules.filter((r) => r.id !== event.data.ruleId),
      }));
    case 'VercelAuthenticationChanged':
      return updateProtection(team, event.data.projectId, (p) => ({
        ...p,
        vercelAuthentication: event.data.after.scope,
      }));
    case 'PasswordProtectionChanged':
      return updateProtection(team, event.data.projectId, (p) => ({
        ...p,
        passwordProtection: { ...p.passwordProtection, enabled: event.data.after.enabled },
      }));
    case 'PasswordRotated':
      return updateProtection(team, event.data.projectId, (p) => ({
        ...p,
        passwordProtection: { ...p.passwordProtection, rotatedAt: event.data.after.rotatedAt },
      }));
    case 'BypassTokenRecorded':
      return updateProtection(team, event.data.projectId, (p) => ({
        ...p,
        bypassTokens: [
          ...p.bypassTokens,
          {
            tokenId: event.data.tokenId,
            ...(event.data.fingerprint !== undefined ? { fingerprint: event.data.fingerprint } : {}),
            ...(event.data.note !== undefined ? { note: event.data.note } : {}),
            recordedAt: event.data.occurredAt,
            recordedBy: event.data.actorId,
          },
        ],
      }));
    case 'BypassTokenRevoked':
      return updateProtection(team, event.data.projectId, (p) => ({
        ...p,
        bypassTokens: p.bypassTokens.filter((t) => t.tokenId !== event.data.tokenId),
      }));
    case 'DirectoryConnected':
      return {
        ...team,
        directory: {
          directoryId: event.data.directoryId,
          name: event.data.after.name,
          tokenHash: event.data.tokenHash,
          connectedAt: event.data.occurredAt,
          mappings: [],
        },
      };
    case 'DirectoryRoleMappingsSet':
      return team.directory ? { ...team, directory: { ...team.directory, mappings: event.data.after.mappings } } : team;
    case 'DirectoryTokenRotated':
      return team.directory
        ? { ...team, directory: { ...team.directory, name: event.data.after.name, tokenHash: event.data.tokenHash } }
        : team;
    case 'DirectoryDisconnected': {
      const { directory: _disconnected, ...rest } = team;
      return rest;
    }
    case 'AuditDrainAdded': {
      const { drainId, url, description } = event.data.after;
      const drain: AuditDrainState = {
        drainId,
        url,
        ...(description !== undefined ? { description } : {}),
        addedAt: event.data.occurredAt,
        resumes: 0,
      };
      return { ...team, auditDrains: withEntry(team.auditDrains ?? new Map(), drainId, drain) };
    }
    case 'AuditDrainRemoved':
      return team.auditDrains ? { ...team, auditDrains: without(team.auditDrains, event.data.drainId) } : team;
    case 'AuditDrainResumed': {
      const drain = team.auditDrains?.get(event.data.drainId);
      return drain
        ? {
            ...team,
            auditDrains: withEntry(team.auditDrains!, drain.drainId, { ...drain, resumes: drain.resumes + 1 }),
          }
        : team;
    }
    case 'SubjectErased':
      return { ...team, erasedSubjects: [...(team.erasedSubjects ?? []), event.data.userId] };
    default:
      return assertNever(event);
  }
}

/** A subject erased before who joins again: a later erasure is recorded anew. */
function rejoined(team: ActiveTeam, userId: string): ActiveTeam {
  if (!team.erasedSubjects?.includes(userId)) return team;
  return { ...team, erasedSubjects: team.erasedSubjects.filter((subject) => subject !== userId) };
}

export function assertNever(value: never): never {
  throw new Error(`unhandled: ${JSON.stringify(value)}`);
}

export const foldTeam = (events: readonly TeamEvent[], from: TeamState = initialTeamState()): TeamState =>
  events.reduce(evolve, from);
