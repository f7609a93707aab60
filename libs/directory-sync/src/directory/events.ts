import type { DirectoryUserPersonal } from '../scim/resources';

/** One stream per directory: its users and groups, as the identity provider last stated them. */
export const directoryStreamPrefix = 'directory-';
export const directoryStreamId = (directoryId: string): string => `${directoryStreamPrefix}${directoryId}`;

interface Base {
  directoryId: string;
  /** ISO-8601 instant the SCIM request was handled. */
  occurredAt: string;
}

type Ev<T extends string, D> = { type: T; data: Base & D };

/** The user's attributes; `personal` holds every personal datum of the event. */
interface UserAttributes {
  scimId: string;
  schemas: string[];
  externalId?: string;
  personal: DirectoryUserPersonal;
}

/** `memberUserId` is fixed here for the user's life: `externalId` if given, else the SCIM id this service assigned (`scimId`). */
export type DirectoryUserProvisioned = Ev<
  'DirectoryUserProvisioned',
  UserAttributes & { memberUserId: string; active: boolean }
>;
/** PUT: every attribute as stated (whether active is told by Deactivated/Reactivated). */
export type DirectoryUserReplaced = Ev<'DirectoryUserReplaced', UserAttributes>;
/** PATCH: the attributes after the operations. */
export type DirectoryUserPatched = Ev<'DirectoryUserPatched', UserAttributes>;
export type DirectoryUserDeactivated = Ev<'DirectoryUserDeactivated', { scimId: string; memberUserId: string }>;
export type DirectoryUserReactivated = Ev<'DirectoryUserReactivated', { scimId: string; memberUserId: string }>;
/** The user leaves every group of the directory with it. */
export type DirectoryUserDeleted = Ev<'DirectoryUserDeleted', { scimId: string; memberUserId: string }>;

interface GroupAttributes {
  scimId: string;
  displayName: string;
  externalId?: string;
  memberScimIds: string[];
}
export type DirectoryGroupCreated = Ev<'DirectoryGroupCreated', GroupAttributes>;
/** PUT, or a PATCH that renamed it: every attribute as stated. */
export type DirectoryGroupReplaced = Ev<'DirectoryGroupReplaced', GroupAttributes>;
export type DirectoryGroupMembersChanged = Ev<
  'DirectoryGroupMembersChanged',
  { scimId: string; added: string[]; removed: string[] }
>;
export type DirectoryGroupDeleted = Ev<'DirectoryGroupDeleted', { scimId: string }>;

export type DirectoryEvent =
  | DirectoryUserProvisioned
  | DirectoryUserReplaced
  | DirectoryUserPatched
  | DirectoryUserDeactivated
  | DirectoryUserReactivated
  | DirectoryUserDeleted
  | DirectoryGroupCreated
  | DirectoryGroupReplaced
  | DirectoryGroupMembersChanged
  | DirectoryGroupDeleted;

export const directoryEventTypes: ReadonlySet<DirectoryEvent['type']> = new Set<DirectoryEvent['type']>([
  'DirectoryUserProvisioned',
  'DirectoryUserReplaced',
  'DirectoryUserPatched',
  'DirectoryUserDeactivated',
  'DirectoryUserReactivated',
  'DirectoryUserDeleted',
  'DirectoryGroupCreated',
  'DirectoryGroupReplaced',
  'DirectoryGroupMembersChanged',
  'DirectoryGroupDeleted',
]);
