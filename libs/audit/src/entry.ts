import type { PersonalText } from '@access-audit/domain';
/**
 * The records of a team's audit stream (`audit-<teamId>`): one entry per access event, one per recorded denial, and
 * signed checkpoints. Entries form a hash chain; checkpoints sign its head.
 */

/** What an entry is about. */
export interface AuditTarget {
  userId?: string;
  projectId?: string;
  /** The setting changed: `plan`, `name`, `firewall`, `permissionGroups.<group>`, `deploymentProtection.…`. */
  setting?: string;
}

/** A personal field as an entry holds it: sealed (the hash covers the ciphertext), or clear in entries from before. */
export type AuditPersonalText = PersonalText;

/** Where the request that caused the entry came from (from the source event's metadata). */
export interface AuditRequestContext {
  ip: PersonalText | null;
  userAgent: PersonalText | null;
  requestId: string | null;
}

/** The event an access-change entry records. */
export interface AuditSource {
  eventId: string;
  eventType: string;
  streamId: string;
  streamRevision: number;
  /** Global position in the event store (opaque). */
  position: string;
  /**
   * SHA-256 (hex) over the canonical JSON (RFC 8785) of the source event's `{ type, data, metadata }`: the entry commits
   * to every field of its event, not only to those it shows. Absent on entries recorded before it was introduced.
   */
  digest?: string;
}

/** What a refused command tried to do and what refused it. */
export interface AuditDenial {
  commandType: string;
  /** The domain's rejection kind: forbidden (403), policy (422), not_found (404), conflict (409), invalid (400). */
  rejection: string;
  /** The permission the actor lacked (forbidden). */
  permission: string | null;
  /** The policy rule id that refused it (the other kinds). */
  rule: string | null;
  message: string;
  /** Denials of this actor on this team not recorded since the previous recorded one (rate limit). */
  suppressedBefore: number;
}

interface AuditEntryFields {
  /** The audit event's id (UUID); derived from the source event's id for changes. */
  id: string;
  teamId: string;
  /** 1 for the team's first entry; consecutive. */
  sequence: number;
  /** ISO-8601 instant the change or the attempt happened. */
  time: string;
  actor: string;
  /** Stable dotted name, e.g. `team.member.role.updated`; `access.denied` for denials. */
  action: string;
  target: AuditTarget;
  reason: PersonalText | null;
  context: AuditRequestContext;
  policyVersion: string;
  /** Hash of the previous entry; 64 zeros for the first. */
  prevHash: string;
}

export interface AccessChangeFields extends AuditEntryFields {
  kind: 'change';
  before: unknown;
  after: unknown;
  /** For cascaded events (e.g. a project role ended by a member's removal): what caused it. */
  cause: unknown;
  source: AuditSource;
}

export interface AccessDeniedFields extends AuditEntryFields {
  kind: 'denial';
  denial: AuditDenial;
}

/** An entry as hashed: everything but its own hash. */
export type UnsealedAuditEntry = AccessChangeFields | AccessDeniedFields;

/** `hash = sha256(prevHash + canonicalJson(entry without hash))`, hex. */
export type AuditEntry = UnsealedAuditEntry & { hash: string };
export type AccessChangeEntry = AccessChangeFields & { hash: string };
export type AccessDeniedEntry = AccessDeniedFields & { hash: string };

/** An Ed25519 signature over the chain's head at `sequence`. */
export interface AuditCheckpoint {
  kind: 'checkpoint';
  teamId: string;
  /** The entry whose hash is `headHash`; the checkpoint vouches for entries 1..sequence. */
  sequence: number;
  headHash: string;
  signedAt: string;
  algorithm: 'Ed25519';
  /** First 16 hex digits of SHA-256 over the public key (SPKI DER). */
  keyId: string;
  /** Base64 Ed25519 signature over `checkpointSigningInput(...)`. */
  signature: string;
}

/** One line of an NDJSON export, one event of the audit stream. */
export type AuditRecord = AuditEntry | AuditCheckpoint;

/** Event types of the audit stream. */
export const auditEventTypes = {
  entryRecorded: 'AuditEntryRecorded',
  accessDenied: 'AccessDenied',
  checkpointSigned: 'AuditCheckpointSigned',
} as const;

export const auditStreamPrefix = 'audit-';
export const auditStreamId = (teamId: string): string => `${auditStreamPrefix}${teamId}`;

export const genesisHash = '0'.repeat(64);

/** The action of every denial entry. */
export const accessDeniedAction = 'access.denied';
