/** A member's history (GET /v1/teams/{teamId}/members/{userId}/history) and the picture of what they held over time. */

export interface PermissionRef {
  permission: string;
  projectId: string | null;
}

export interface HistoryEntry {
  position: string;
  eventId: string;
  type: string;
  occurredAt: string;
  actorId: string;
  reason?: string;
  projectId?: string;
  group?: string;
  cause?: Record<string, unknown>;
  before: unknown;
  after: unknown;
  granted: PermissionRef[];
  revoked: PermissionRef[];
}

export interface MemberHistory {
  teamId: string;
  userId: string;
  entries: HistoryEntry[];
}

/** What was held in one scope from `from` to `to` (epoch milliseconds). */
export interface HeldSpan {
  from: number;
  to: number;
  held: string;
}

/** One scope of the picture: the team (role and permission groups) or a project (project role). */
export interface ScopeLane {
  scope: string;
  spans: HeldSpan[];
}

export interface Timeline {
  start: number;
  end: number;
  lanes: ScopeLane[];
}

const roleOf = (state: unknown): string | undefined => {
  if (typeof state !== 'object' || state === null) return undefined;
  const role = (state as { role?: unknown }).role;
  return typeof role === 'string' ? role : undefined;
};

const teamScope = 'team';

/** Replays the entries (oldest first) into spans per scope; spans still held at the end run to `now`. */
export function timelineOf(entries: readonly HistoryEntry[], now: number): Timeline {
  let role: string | undefined;
  const groups = new Set<string>();
  const projectRoles = new Map<string, string>();
  const lanes = new Map<string, { spans: HeldSpan[]; open: { from: number; held: string } | null }>();

  const hold = (scope: string, held: string | undefined, at: number) => {
    let lane = lanes.get(scope);
    if (!lane) {
      if (held === undefined) return;
      lane = { spans: [], open: null };
      lanes.set(scope, lane);
    }
    if (lane.open?.held === held) return;
    if (lane.open) lane.spans.push({ from: lane.open.from, to: at, held: lane.open.held });
    lane.open = held === undefined ? null : { from: at, held };
  };
  const teamHeld = () =>
    role === undefined ? undefined : groups.size ? `${role} + ${[...groups].sort().join(', ')}` : role;

  for (const entry of entries) {
    const at = Date.parse(entry.occurredAt);
    if (entry.group !== undefined) {
      if (entry.after === null) groups.delete(entry.group);
      else groups.add(entry.group);
      hold(teamScope, teamHeld(), at);
    } else if (entry.projectId !== undefined) {
      if (roleOf(entry.before) === undefined && roleOf(entry.after) === undefined) continue;
      const projectRole = roleOf(entry.after);
      if (projectRole === undefined) projectRoles.delete(entry.projectId);
      else projectRoles.set(entry.projectId, projectRole);
      hold(`project ${entry.projectId}`, projectRole, at);
    } else if (roleOf(entry.after) !== undefined) {
      role = roleOf(entry.after);
      hold(teamScope, teamHeld(), at);
    } else if (roleOf(entry.before) !== undefined && entry.after === null) {
      // Removal from the team ends every grant, whether or not its cascade is listed too.
      role = undefined;
      groups.clear();
      for (const projectId of projectRoles.keys()) hold(`project ${projectId}`, undefined, at);
      projectRoles.clear();
      hold(teamScope, undefined, at);
    }
  }

  const first = entries.length ? Date.parse(entries[0]!.occurredAt) : now;
  const end = Math.max(now, entries.length ? Date.parse(entries[entries.length - 1]!.occurredAt) : now);
  const result: ScopeLane[] = [];
  for (const [scope, lane] of lanes) {
    const spans = lane.open ? [...lane.spans, { from: lane.open.from, to: end, held: lane.open.held }] : lane.spans;
    result.push({ scope, spans });
  }
  result.sort((a, b) => (a.scope === teamScope ? -1 : b.scope === teamScope ? 1 : a.scope.localeCompare(b.scope)));
  return { start: first, end, lanes: result };
}

/** A before or after state in words: `role: member`, `none`. */
export function stateInWords(state: unknown): string {
  if (state === null || state === undefined) return 'none';
  if (typeof state !== 'object') return String(state);
  const parts = Object.entries(state as Record<string, unknown>).map(
    ([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  return parts.length ? parts.join(', ') : 'none';
}

/** A bar of the picture: one holding, or several too short to tell apart at this scale. */
export interface DrawnSpan extends HeldSpan {
  holdings: number;
}

/**
 * The spans of a lane as drawn: consecutive spans (and the gaps between them) each shorter than `minFraction` of the axis
 * merge into one bar that says how many holdings it stands for, so ten thousand changes draw a few hundred bars.
 */
export function drawnSpans(spans: readonly HeldSpan[], start: number, end: number, minFraction = 0.004): DrawnSpan[] {
  const min = Math.max(end - start, 1) * minFraction;
  const drawn: DrawnSpan[] = [];
  for (const span of spans) {
    const last = drawn[drawn.length - 1];
    const short = span.to - span.from < min;
    if (last && short && last.to - last.from < min * 2 && span.from - last.to < min) {
      drawn[drawn.length - 1] = { from: last.from, to: span.to, held: last.held, holdings: last.holdings + 1 };
    } else {
      drawn.push({ ...span, holdings: 1 });
    }
  }
  return drawn;
}
