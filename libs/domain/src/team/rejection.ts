import type { Permission, RuleId } from '../policy/policy';

/** Why a command was refused. A value, not an exception; the HTTP edge maps `kind` to a status. */
export type Rejection =
  /** The actor lacks the permission the command needs (HTTP 403). */
  | { kind: 'forbidden'; permission: Permission; projectId?: string; message: string }
  /** A policy invariant would break (HTTP 422). */
  | { kind: 'policy'; rule: RuleId; message: string; conflicts?: unknown[] }
  /** The team, member or project named does not exist (HTTP 404). */
  | { kind: 'not_found'; rule: RuleId; message: string }
  /** The id to create is taken (HTTP 409). */
  | { kind: 'conflict'; rule: RuleId; message: string }
  /** A value is malformed in a way only the domain knows (HTTP 400). */
  | { kind: 'invalid'; field: string; rule: RuleId; message: string };

/** What a decider answers: the events to append, or why not (a team `Rejection` unless the decider has its own). */
export type Decision<E, R = Rejection> = { ok: true; events: E[] } | { ok: false; rejection: R };
