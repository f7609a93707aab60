import type { TeamEvent, TeamEventType } from '@access-audit/domain';
import type { EventMetadata, RequestContext } from '@access-audit/event-store';
import type { PersonalDataSealer } from './personal-data';
import type { PersonalText, SealedValue } from './sealed-value';

/** Whose personal data a field is: the actor only, or the actor and the user(s) whose access the event changes. */
export type FieldSubjects = 'actor' | 'actorAndAffected';

/** One personal field of an event's data: its name, and whose it is. */
export interface PersonalField {
  readonly field: string;
  readonly subjects: FieldSubjects;
}

const reason: PersonalField = { field: 'reason', subjects: 'actorAndAffected' };

/**
 * The personal fields of every team event type (a missing type does not compile). Ids, roles, permission names and
 * settings stay in clear: they are what proves who granted what to whom. The request's IP and user agent (metadata)
 * are the actor's, for every type (`sealRequestContext`).
 */
export const teamEventPersonalFields: { readonly [T in TeamEventType]: readonly PersonalField[] } = {
  TeamCreated: [reason],
  TeamRenamed: [reason],
  TeamPlanChanged: [reason],
  MemberAdded: [reason],
  TeamRoleChanged: [reason],
  MemberRemoved: [reason],
  PermissionGroupGranted: [reason],
  PermissionGroupRevoked: [reason],
  ProjectCreated: [reason],
  ProjectDeleted: [reason],
  ProjectRoleAssigned: [reason],
  ProjectRoleRevoked: [reason],
  FirewallChanged: [reason],
  IpBlockAdded: [reason],
  IpBlockRemoved: [reason],
  RateLimitRuleSet: [reason],
  RateLimitRuleRemoved: [reason],
  VercelAuthenticationChanged: [reason],
  PasswordProtectionChanged: [reason],
  PasswordRotated: [reason],
  BypassTokenRecorded: [reason, { field: 'note', subjects: 'actor' }],
  BypassTokenRevoked: [reason],
  DirectoryConnected: [reason],
  DirectoryTokenRotated: [reason],
  DirectoryDisconnected: [reason],
  DirectoryRoleMappingsSet: [reason],
  // A drain's URL and description name an endpoint, as a team or project name does: configuration, left in clear.
  AuditDrainAdded: [reason],
  AuditDrainRemoved: [reason],
  AuditDrainResumed: [reason],
  // The operator's reason is the operator's text: sealed under the operator only, so erasing its subject leaves it.
  SubjectErased: [{ field: 'reason', subjects: 'actor' }],
};

/** The users whose access a team event changes (the member it names; a new team's owner). */
export function affectedUsers(event: TeamEvent): string[] {
  const data = event.data as { userId?: unknown; ownerId?: unknown };
  const users: string[] = [];
  if (typeof data.userId === 'string') users.push(data.userId);
  if (event.type === 'TeamCreated' && typeof data.ownerId === 'string') users.push(data.ownerId);
  return users;
}

/** The subjects of one field of an event: the actor first, then the affected users. */
export const subjectsOf = (rule: FieldSubjects, actorId: string, affected: readonly string[]): string[] =>
  rule === 'actor' ? [actorId] : [...new Set([actorId, ...affected])];

/** The team event with every personal field of its type sealed (a field already sealed, or absent, as it is). */
export async function sealTeamEvent(event: TeamEvent, sealer: PersonalDataSealer): Promise<TeamEvent> {
  const fields = teamEventPersonalFields[event.type];
  const data = event.data as unknown as Record<string, unknown>;
  let sealed: Record<string, unknown> | undefined;
  for (const { field, subjects } of fields) {
    const value = data[field];
    if (typeof value !== 'string') continue;
    sealed ??= { ...data };
    sealed[field] = await sealer.seal(value, subjectsOf(subjects, event.data.actorId, affectedUsers(event)));
  }
  return sealed ? ({ type: event.type, data: sealed } as unknown as TeamEvent) : event;
}

/** The request context with its IP and user agent sealed under the actor's key; the request id stays in clear. */
export async function sealRequestContext(
  context: RequestContext | undefined,
  actorId: string,
  sealer: PersonalDataSealer,
): Promise<RequestContext | undefined> {
  if (!context) return context;
  const sealed: RequestContext = { ...context };
  if (typeof context.ip === 'string') sealed.ip = await sealer.seal(context.ip, [actorId]);
  if (typeof context.userAgent === 'string') sealed.userAgent = await sealer.seal(context.userAgent, [actorId]);
  return sealed;
}

/** Seals a free text under its subjects when a sealer is given; as it is otherwise (or when absent). */
export async function sealText<T extends PersonalText | { readonly $sealed: 1 } | undefined>(
  value: T,
  subjects: readonly string[],
  sealer: PersonalDataSealer | undefined,
): Promise<T | SealedValue> {
  return sealer && typeof value === 'string' ? sealer.seal(value, subjects) : value;
}

/** Metadata with its request context sealed under the actor. */
export async function sealMetadata(
  metadata: EventMetadata,
  actorId: string,
  sealer: PersonalDataSealer,
): Promise<EventMetadata> {
  if (!metadata.requestContext) return metadata;
  return { ...metadata, requestContext: await sealRequestContext(metadata.requestContext, actorId, sealer) };
}
