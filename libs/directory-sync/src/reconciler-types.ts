import type { Rejection } from '@access-audit/domain';
import type { RequestContext } from '@access-audit/event-store';

/** Which directory acts on which team, and the SCIM request that caused it (its id is the commands' correlation). */
export interface DirectoryReconcileContext {
  directoryId: string;
  teamId: string;
  correlationId: string;
  requestContext?: RequestContext;
}

/** The positions of every command appended, or the first refusal (recorded as a denial) and what was appended before it. */
export type ReconcileOutcome =
  { ok: true; positions: string[] } | { ok: false; refusal: Rejection; appliedBefore: string[] };
