import {
  permissionGroups,
  plans,
  projectRoles,
  teamRoles,
  vercelAuthenticationScopes,
  type TeamEventType,
} from '@access-audit/domain';

/** What is wrong with a value: where below the value checked (`.field`, `[i]`), and what (naming the path, never the value). */
interface Problem {
  path: string;
  is: string;
}

/** A check of one value: undefined when it fits. */
type Shape = (value: unknown) => Problem | undefined;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// Every recorded event is checked on every replay: a check that fits allocates nothing (paths are built on failure).
const problem = (is: string): Problem => ({ path: '', is });
const below = (found: Problem, step: string): Problem => ({ path: step + found.path, is: found.is });

const string: Shape = (v) => (typeof v === 'string' ? undefined : problem('is not a string'));
const boolean: Shape = (v) => (typeof v === 'boolean' ? undefined : problem('is not a boolean'));
const integer: Shape = (v) => (Number.isSafeInteger(v) ? undefined : problem('is not an integer'));
const nothing: Shape = (v) => (v === null ? undefined : problem('is not null'));
const oneOf = (values: readonly string[]): Shape => {
  const allowed: ReadonlySet<unknown> = new Set(values);
  return (v) => (allowed.has(v) ? undefined : problem(`is not one of ${values.join(', ')}`));
};
const optional =
  (shape: Shape): Shape =>
  (v) =>
    v === undefined ? undefined : shape(v);
const either =
  (...shapes: Shape[]): Shape =>
  (v) => {
    for (const shape of shapes) if (shape(v) === undefined) return undefined;
    return problem('has none of its expected shapes');
  };
const arrayOf =
  (shape: Shape): Shape =>
  (v) => {
    if (!Array.isArray(v)) return problem('is not an array');
    for (let i = 0; i < v.length; i++) {
      const found = shape(v[i]);
      if (found) return below(found, `[${i}]`);
    }
    return undefined;
  };
const recordOf =
  (shape: Shape): Shape =>
  (v) => {
    if (!isObject(v)) return problem('is not an object');
    for (const key of Object.keys(v)) {
      const found = shape(v[key]);
      if (found) return below(found, `.${key}`);
    }
    return undefined;
  };
const object = (fields: Record<string, Shape>): Shape => {
  const names = Object.keys(fields);
  const shapes = names.map((name) => fields[name]!);
  return (v) => {
    if (!isObject(v)) return problem('is not an object');
    for (let i = 0; i < names.length; i++) {
      const found = shapes[i]!(v[names[i]!]);
      if (found) return below(found, `.${names[i]}`);
    }
    return undefined;
  };
};

const role = object({ role: oneOf(teamRoles) });
const projectRole = object({ role: oneOf(projectRoles) });
const group = object({ group: oneOf(permissionGroups) });
const enabled = object({ enabled: boolean });
const cidr = object({ cidr: string });
const rateLimitRule = object({ id: string, path: string, limit: integer, windowSeconds: integer });
const token = object({ tokenId: string, fingerprint: optional(string) });
const directory = object({ directoryId: string, name: string });
const roleMappings = object({
  mappings: arrayOf(
    object({
      group: string,
      role: optional(oneOf(teamRoles)),
      permissionGroups: optional(arrayOf(oneOf(permissionGroups))),
    }),
  ),
});
const auditDrain = object({ drainId: string, url: string, description: optional(string) });
const cause = optional(object({ type: oneOf(['TeamRoleChanged', 'MemberRemoved', 'ProjectDeleted']) }));
const security = object({
  firewall: enabled,
  ipBlocks: arrayOf(string),
  rateLimitRules: arrayOf(rateLimitRule),
  deploymentProtection: object({
    vercelAuthentication: oneOf(vercelAuthenticationScopes),
    passwordProtection: object({ enabled: boolean, rotatedAt: optional(string) }),
    bypassTokens: arrayOf(object({ tokenId: string })),
  }),
});

/** Every field of a team event's data that a fold, a read model or the audit log reads, by event type. */
export const teamEventShapes: { readonly [T in TeamEventType]: Record<string, Shape> } = {
  TeamCreated: { name: string, plan: oneOf(plans), ownerId: string },
  TeamRenamed: { before: object({ name: string }), after: object({ name: string }) },
  TeamPlanChanged: { before: object({ plan: oneOf(plans) }), after: object({ plan: oneOf(plans) }) },
  MemberAdded: { userId: string, before: nothing, after: role },
  TeamRoleChanged: { userId: string, before: role, after: role },
  MemberRemoved: {
    userId: string,
    before: object({
      role: oneOf(teamRoles),
      permissionGroups: arrayOf(oneOf(permissionGroups)),
      projectRoles: recordOf(oneOf(projectRoles)),
    }),
    after: nothing,
  },
  PermissionGroupGranted: { userId: string, group: oneOf(permissionGroups), before: nothing, after: group },
  PermissionGroupRevoked: { userId: string, group: oneOf(permissionGroups), before: group, after: nothing, cause },
  ProjectCreated: { projectId: string, name: string, security },
  ProjectDeleted: { projectId: string, before: object({ name: string }), after: nothing },
  ProjectRoleAssigned: { projectId: string, userId: string, before: either(nothing, projectRole), after: projectRole },
  ProjectRoleRevoked: { projectId: string, userId: string, before: projectRole, after: nothing, cause },
  FirewallChanged: { projectId: string, before: enabled, after: enabled },
  IpBlockAdded: { projectId: string, cidr: string, before: nothing, after: cidr },
  IpBlockRemoved: { projectId: string, cidr: string, before: cidr, after: nothing },
  RateLimitRuleSet: { projectId: string, ruleId: string, before: either(nothing, rateLimitRule), after: rateLimitRule },
  RateLimitRuleRemoved: { projectId: string, ruleId: string, before: rateLimitRule, after: nothing },
  VercelAuthenticationChanged: {
    projectId: string,
    before: object({ scope: oneOf(vercelAuthenticationScopes) }),
    after: object({ scope: oneOf(vercelAuthenticationScopes) }),
  },
  PasswordProtectionChanged: { projectId: string, before: enabled, after: enabled },
  PasswordRotated: {
    projectId: string,
    before: object({ rotatedAt: either(nothing, string) }),
    after: object({ rotatedAt: string }),
  },
  BypassTokenRecorded: { projectId: string, tokenId: string, before: nothing, after: token },
  BypassTokenRevoked: { projectId: string, tokenId: string, before: token, after: nothing },
  DirectoryConnected: { directoryId: string, tokenHash: string, before: nothing, after: directory },
  DirectoryTokenRotated: { directoryId: string, tokenHash: string, before: directory, after: directory },
  DirectoryRoleMappingsSet: { directoryId: string, before: roleMappings, after: roleMappings },
  DirectoryDisconnected: { directoryId: string, before: directory, after: nothing },
  AuditDrainAdded: { drainId: string, before: nothing, after: auditDrain },
  AuditDrainRemoved: { drainId: string, before: auditDrain, after: nothing },
  AuditDrainResumed: { drainId: string, before: auditDrain, after: auditDrain },
  SubjectErased: { userId: string, before: nothing, after: object({ erased: boolean }) },
};

/** What is wrong with a known team event's data, or undefined when every field the code reads has its type. */
export function teamEventDataProblem(type: TeamEventType, data: Record<string, unknown>): string | undefined {
  const found = dataShapes.get(type)!(data);
  return found && `data${found.path} ${found.is}`;
}

/** Each type's data check, built once. */
const dataShapes: ReadonlyMap<TeamEventType, Shape> = new Map(
  (Object.keys(teamEventShapes) as TeamEventType[]).map((type) => [type, object(teamEventShapes[type])]),
);
