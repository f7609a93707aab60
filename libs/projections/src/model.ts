import type { CascadeCause, Permission, PersonalText, Via } from '@access-audit/domain';

/** The event that caused a change, as the change feed and member history name it. */
export interface ChangeCause {
  eventId: string;
  type: string;
  position: string;
  actorId: string;
  occurredAt: string;
  /** Sealed as stored (the read model never holds plaintext); opened by the answer. */
  reason?: PersonalText;
}

/** A permission on a project, or (projectId null) team-wide. */
export interface PermissionRef {
  permission: Permission;
  projectId: string | null;
}

/** One effective permission with every reason it holds. */
export interface PermissionGrant extends PermissionRef {
  via: Via[];
}

export interface MemberPermissionGrant extends PermissionGrant {
  userId: string;
}

/** Whether a user holds a permission, and every reason they do. */
export interface CheckAnswer {
  allowed: boolean;
  via: Via[];
}

/** Whose permissions, and on which project (team-level ones always included); the whole team when empty. */
export interface PermissionSelection {
  userId?: string;
  projectId?: string;
}

/** An entry of the change feed: a permission a user gained or lost, and the event that caused it. */
export interface PermissionChange {
  position: string;
  teamId: string;
  userId: string;
  projectId: string | null;
  permission: Permission;
  change: 'granted' | 'revoked';
  cause: ChangeCause;
}

/** A step in a member's access timeline: the event, who did it and why, and what it did to their permissions. */
export interface MemberHistoryEntry {
  position: string;
  eventId: string;
  type: string;
  occurredAt: string;
  actorId: string;
  /** Sealed as stored (the read model never holds plaintext); opened by the answer. */
  reason?: PersonalText;
  projectId?: string;
  group?: string;
  /** Set on cascaded events: the change that made this one necessary. */
  cause?: CascadeCause;
  before: unknown;
  after: unknown;
  granted: PermissionRef[];
  revoked: PermissionRef[];
}

/** Names of the read models, as `replay --verify` reports them. */
export const readModelNames = [
  'team-states',
  'current-permissions',
  'temporal-index',
  'member-history',
  'change-feed',
  'quarantined-teams',
  'team-memberships',
] as const;
export type ReadModelName = (typeof readModelNames)[number];
