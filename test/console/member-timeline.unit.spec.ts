/** The member timeline's picture: what was held in each scope between changes, and how dense stretches are drawn. */
import { drawnSpans, timelineOf, type HeldSpan, type HistoryEntry } from '../../apps/console/src/views/member-timeline';

let n = 0;
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
const entry = (minute: number, type: string, fields: Partial<HistoryEntry>): HistoryEntry => ({
  position: String(++n),
  eventId: `e${n}`,
  type,
  occurredAt: at(minute),
  actorId: 'alice',
  before: null,
  after: null,
  granted: [],
  revoked: [],
  ...fields,
});
const minutes = (spans: readonly HeldSpan[]) =>
  spans.map((s) => [s.held, (s.from - Date.parse(at(0))) / 60_000, (s.to - Date.parse(at(0))) / 60_000]);

describe('timelineOf', () => {
  it('draws a lane per scope with a span per unchanged holding, ending every grant at removal', () => {
    const timeline = timelineOf(
      [
        entry(0, 'MemberAdded', { after: { role: 'contributor' } }),
        entry(10, 'ProjectRoleAssigned', { projectId: 'web', after: { role: 'project_viewer' } }),
        entry(20, 'PermissionGroupGranted', { group: 'create_project', after: { group: 'create_project' } }),
        entry(30, 'ProjectRoleAssigned', {
          projectId: 'web',
          before: { role: 'project_viewer' },
          after: { role: 'project_admin' },
        }),
        entry(35, 'ProjectCreated', { projectId: 'api', after: { name: 'API' } }),
        entry(40, 'MemberRemoved', { before: { role: 'contributor' }, after: null }),
        entry(50, 'MemberAdded', { after: { role: 'member' } }),
      ],
      Date.parse(at(60)),
    );
    expect(timeline.lanes.map((lane) => [lane.scope, minutes(lane.spans)])).toEqual([
      [
        'team',
        [
          ['contributor', 0, 20],
          ['contributor + create_project', 20, 40],
          ['member', 50, 60],
        ],
      ],
      [
        'project web',
        [
          ['project_viewer', 10, 30],
          ['project_admin', 30, 40],
        ],
      ],
    ]);
  });

  it('holds nothing without history', () => {
    expect(timelineOf([], 0).lanes).toEqual([]);
  });
});

describe('drawnSpans', () => {
  it('merges runs of spans too short to see into one bar that counts them, and leaves wide spans alone', () => {
    const spans: HeldSpan[] = [
      { from: 0, to: 500, held: 'a' },
      ...Array.from({ length: 10 }, (_, i) => ({ from: 500 + i, to: 501 + i, held: i % 2 ? 'b' : 'c' })),
      { from: 510, to: 1000, held: 'd' },
    ];
    expect(drawnSpans(spans, 0, 1000, 0.01)).toEqual([
      { from: 0, to: 500, held: 'a', holdings: 1 },
      { from: 500, to: 510, held: 'c', holdings: 10 },
      { from: 510, to: 1000, held: 'd', holdings: 1 },
    ]);
  });
});
