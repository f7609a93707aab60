import { idMaxLength, idPattern } from '@access-audit/config';
import { directoryActorPrefix, directoryIdOfActor } from '@access-audit/domain';
import { invalidValue, type ScimRejection } from './errors';

export const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const groupSchema = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const enterpriseUserSchema = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const listResponseSchema = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const patchOpSchema = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * Personal data of a directory user: everything that identifies a person beyond the opaque member userId (userName,
 * names, e-mails, phone numbers, extension attributes), in this one object so that erasure can find exactly it.
 */
export interface DirectoryUserPersonal {
  userName: string;
  /** Every other attribute as the directory sent it (name, displayName, emails, phoneNumbers, the enterprise extension…). */
  attributes: Record<string, unknown>;
}

/** A user as a SCIM body states it, checked. */
export interface UserInput {
  schemas: string[];
  externalId?: string;
  active: boolean;
  personal: DirectoryUserPersonal;
}

/** A group as a SCIM body states it, checked (member `display` names people: it is not kept). */
export interface GroupInput {
  displayName: string;
  externalId?: string;
  memberScimIds: string[];
}

type Parsed<T> = { ok: true; value: T } | { ok: false; rejection: ScimRejection };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Attributes kept apart or never kept: `password` is a secret; `id`, `meta` and `groups` are read-only (RFC 7643 §3.1,
 * §4.1.2: a user's groups are the groups' to say, and Okta sends `"groups": []`).
 */
const notKeptUserAttributes = new Set([
  'id',
  'meta',
  'groups',
  'password',
  'schemas',
  'username',
  'externalid',
  'active',
]);
const maxStringLength = 1024;

/** Entra ID sends booleans as the strings "True"/"False"; RFC 7643 booleans are JSON booleans. */
export function scimBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

/** Attribute names are case-insensitive (RFC 7643 §2.1): the value of `name` in any case, and the key it was under. */
function attribute(body: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  for (const key of Object.keys(body)) if (key.toLowerCase() === lower) return body[key];
  return undefined;
}

function optionalString(body: Record<string, unknown>, name: string): Parsed<string | undefined> {
  const value = attribute(body, name);
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value !== 'string' || value.length === 0 || value.length > maxStringLength)
    return {
      ok: false,
      rejection: invalidValue(`${name} must be a non-empty string of at most ${maxStringLength} characters`),
    };
  return { ok: true, value };
}

function schemasOf(body: Record<string, unknown>, core: string): Parsed<string[]> {
  const schemas = attribute(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.every((s): s is string => typeof s === 'string'))
    return { ok: false, rejection: invalidValue(`schemas must be an array of schema URIs including ${core}`) };
  if (!schemas.some((s) => s.toLowerCase() === core.toLowerCase()))
    return { ok: false, rejection: invalidValue(`schemas must include ${core}`) };
  return { ok: true, value: [...new Set(schemas)] };
}

/** A user body of POST or PUT (or the result of a PATCH). */
export function parseUser(body: unknown): Parsed<UserInput> {
  if (!isObject(body))
    return {
      ok: false,
      rejection: { status: 400, scimType: 'invalidSyntax', detail: 'the body must be a JSON object' },
    };
  const schemas = schemasOf(body, userSchema);
  if (!schemas.ok) return schemas;
  const userName = optionalString(body, 'userName');
  if (!userName.ok) return userName;
  if (userName.value === undefined) return { ok: false, rejection: invalidValue('userName is required') };
  const externalId = optionalString(body, 'externalId');
  if (!externalId.ok) return externalId;
  const rawActive = attribute(body, 'active');
  const active = rawActive === undefined || rawActive === null ? true : scimBoolean(rawActive);
  if (active === undefined) return { ok: false, rejection: invalidValue('active must be a boolean') };
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body))
    if (!notKeptUserAttributes.has(key.toLowerCase()) && value !== null) attributes[key] = value;
  return {
    ok: true,
    value: {
      schemas: schemas.value,
      ...(externalId.value !== undefined ? { externalId: externalId.value } : {}),
      active,
      personal: { userName: userName.value, attributes },
    },
  };
}

/** A group body of POST or PUT (or the result of a PATCH). */
export function parseGroup(body: unknown): Parsed<GroupInput> {
  if (!isObject(body))
    return {
      ok: false,
      rejection: { status: 400, scimType: 'invalidSyntax', detail: 'the body must be a JSON object' },
    };
  const schemas = schemasOf(body, groupSchema);
  if (!schemas.ok) return schemas;
  const displayName = optionalString(body, 'displayName');
  if (!displayName.ok) return displayName;
  if (displayName.value === undefined) return { ok: false, rejection: invalidValue('displayName is required') };
  const externalId = optionalString(body, 'externalId');
  if (!externalId.ok) return externalId;
  const members = attribute(body, 'members') ?? [];
  if (!Array.isArray(members)) return { ok: false, rejection: invalidValue('members must be an array of { value }') };
  // A Set keeps the first occurrence of each id in order, in linear time for large groups.
  const memberScimIds = new Set<string>();
  for (const [index, member] of members.entries()) {
    const value = isObject(member) ? attribute(member, 'value') : undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > maxStringLength)
      return { ok: false, rejection: invalidValue(`members[${index}].value must be the id of a user`) };
    memberScimIds.add(value);
  }
  return {
    ok: true,
    value: {
      displayName: displayName.value,
      ...(externalId.value !== undefined ? { externalId: externalId.value } : {}),
      memberScimIds: [...memberScimIds],
    },
  };
}

/**
 * The team userId a new directory user becomes: its `externalId` if given, else the id this service assigned it
 * (`scimId`), never its `userName`, which is often an e-mail address and would outlive an erasure as an id.
 */
export function memberUserIdOf(user: UserInput, scimId: string): Parsed<string> {
  const id = user.externalId;
  if (id === undefined) return { ok: true, value: scimId };
  if (id.length > idMaxLength || !idPattern.test(id))
    return {
      ok: false,
      rejection: invalidValue(
        `externalId becomes the member's userId: it must be 1-${idMaxLength} letters, digits and . _ : @ | - (starting with a letter or digit)`,
      ),
    };
  // `scim:{directoryId}` is a directory's actor id (POLICY.md): a member holding it would pass for a directory.
  if (directoryIdOfActor(id) !== undefined)
    return {
      ok: false,
      rejection: invalidValue(
        `externalId becomes the member's userId: it must not start with ${directoryActorPrefix} (a directory's actor id)`,
      ),
    };
  return { ok: true, value: id };
}
