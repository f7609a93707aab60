import {
  permissionGroups,
  plans,
  projectRoles,
  teamRoles,
  vercelAuthenticationScopes,
  type TeamEventType,
} from '@access-audit/domain';

/** A check of one value: undefined when it fits, else what is wrong (naming the path, never the value). */
type Shape = (value: unknown, path: string) => string | undefined;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const string: Shape = (v, p) => (typeof v === 'string' ? undefined : `${p} is not a string`);
const boolean: Shape = (v, p) => (typeof v === 'boolean' ? undefined : `${p} is not a boolean`);
const integer: Shape = (v, p) => (Number.isSafeInteger(v) ? undefined : `${p} is not an integer`);
const nothing: Shape = (v, p) => (v === null ? undefined : `${p} is not null`);
const oneOf =
  (values: readonly string[]): Shape =>
  (v, p) =>
    typeof v === 'string' && values.includes(v) ? undefined : `${p} is not one of ${values.join(', ')}`;
const optional =
  (shape: Shape): Shape =>
  (v, p) =>
    v === undefined ? undefined : shape(v, p);
const either =
  (...shapes: Shape[]): Shape =>
  (v, p) =>
    shapes.some((shape) => shape(v, p) === undefined) ? undefined : `${p} has none of its expected shapes`;
const arrayOf =
  (shape: Shape): Shape =>
  (v, p) =>
    Array.isArray(v) ? v.map((item, i) => shape(item, `${p}[${i}]`)).find(Boolean) : `${p} is not an array`;
const recordOf =
  (shape: Shape): Shape =>
  (v, p) =>
    isObject(v)
      ? Object.entries(v)
          .map(([k, item]) => shape(item, `${p}.${k}`))
          .find(Boolean)
      : `${p} is not an object`;
const object =
  (fields: Record<string, Shape>): Shape =>
  (v, p) =>
    isObject(v)
      ? Object.entries(fields)
          .map(([name, shape]) => shape(v[name], `${p}.${name}`))
          .find(Boolean)
      : `${p} is not an object`;

const role = object({ role: oneOf(teamRoles) });
const projectRole = object({ role: oneOf(projectRoles) });
const group = object({ group: oneOf(permissionGroups) });
const enabled = object({ enabled: boolean });
const cidr = object({ cidr: string });
const rateLimitRule = object({ id: string, path: string, limit: integer, windowSeconds: integer });
const token = object({ tokenId: string, fingerprint: optional(string) });
const directory = object({ directoryId: string, name: string });
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
  DirectoryDisconnected: { directoryId: string, before: directory, after: nothing },
};

/** What is wrong with a known team event's data, or undefined when every field the code reads has its type. */
export function teamEventDataProblem(type: TeamEventType, data: Record<string, unknown>): string | undefined {
  return object(teamEventShapes[type])(data, 'data');
}
