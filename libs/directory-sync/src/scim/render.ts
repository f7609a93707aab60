import type { DirectoryGroupRecord, DirectoryUserRecord } from '../directory/state';
import { groupSchema } from './resources';

/** A resource's meta (RFC 7643 §3.1); `location` only when the base URL is known (not for PATCH's working copy). */
const metaOf = (
  resourceType: 'User' | 'Group',
  record: DirectoryUserRecord | DirectoryGroupRecord,
  baseUrl?: string,
) => ({
  resourceType,
  created: record.created,
  lastModified: record.lastModified,
  version: `W/"${record.version}"`,
  ...(baseUrl !== undefined ? { location: `${baseUrl}/${resourceType}s/${encodeURIComponent(record.scimId)}` } : {}),
});

/** A user as SCIM answers it: its attributes as the directory last stated them, with `id`, `active` and `meta`. */
export function renderUser(user: DirectoryUserRecord, baseUrl?: string): Record<string, unknown> {
  return {
    ...user.personal.attributes,
    schemas: user.schemas,
    id: user.scimId,
    ...(user.externalId !== undefined ? { externalId: user.externalId } : {}),
    userName: user.personal.userName,
    active: user.active,
    meta: metaOf('User', user, baseUrl),
  };
}

export function renderGroup(group: DirectoryGroupRecord, baseUrl?: string): Record<string, unknown> {
  return {
    schemas: [groupSchema],
    id: group.scimId,
    ...(group.externalId !== undefined ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    members: group.memberScimIds.map((value) => ({
      value,
      ...(baseUrl !== undefined ? { $ref: `${baseUrl}/Users/${encodeURIComponent(value)}` } : {}),
    })),
    meta: metaOf('Group', group, baseUrl),
  };
}
