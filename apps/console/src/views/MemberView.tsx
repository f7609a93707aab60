import { useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { segment, type TeamView } from '../api';
import { useApi } from '../use-api';
import { AdminActions } from './AdminActions';
import {
  drawnSpans,
  stateInWords,
  timelineOf,
  type HistoryEntry,
  type MemberHistory,
  type Timeline,
} from './member-timeline';
import { Refusal } from './Refusal';

const pageSize = 100;

/** A member's access timeline: what they held in each scope over time, each change, and the admin actions on them. */
export function MemberView() {
  const params = useParams();
  const teamId = params.teamId!;
  const userId = params.userId!;
  // After an applied command, read at least up to its position so the change shows.
  const [minPosition, setMinPosition] = useState<string | null>(null);
  const query = minPosition ? `?minPosition=${segment(minPosition)}` : '';
  const history = useApi<MemberHistory>(`/v1/teams/${segment(teamId)}/members/${segment(userId)}/history${query}`);
  const team = useApi<TeamView>(`/v1/teams/${segment(teamId)}${query}`);
  // The actions stay on screen (with what was just applied) while the team is read again.
  const lastTeam = useRef<TeamView | null>(null);
  if (team.state === 'done') lastTeam.current = team.value;
  const shownTeam = lastTeam.current;

  return (
    <>
      <h1>
        {userId} <span className="muted">in team {teamId}</span>
      </h1>
      <p>
        <Link to={`/teams/${segment(teamId)}`}>Back to the team</Link>
      </p>
      {history.state === 'loading' && <p>Loading the timeline…</p>}
      {history.state === 'refused' && <Refusal message={history.message} status={history.status} />}
      {history.state === 'done' && <MemberTimeline entries={history.value.entries} />}

      <h2>Change this member&apos;s access</h2>
      {team.state === 'loading' && shownTeam === null && <p>Loading the team…</p>}
      {team.state === 'refused' && <Refusal message={team.message} status={team.status} />}
      {team.state !== 'refused' && shownTeam !== null && (
        <AdminActions
          teamId={teamId}
          member={shownTeam.members.find((member) => member.userId === userId)}
          userId={userId}
          onApplied={setMinPosition}
        />
      )}
    </>
  );
}

function MemberTimeline({ entries }: { entries: HistoryEntry[] }) {
  // The picture runs to the moment the answer arrived.
  const timeline = useMemo(() => timelineOf(entries, Date.now()), [entries]);
  return (
    <>
      <h2>What they held, over time</h2>
      {timeline.lanes.length === 0 ? <p>They held nothing in this team.</p> : <HeldPicture timeline={timeline} />}
      <ChangeList entries={entries} />
    </>
  );
}

const percent = (value: number) => `${(value * 100).toFixed(3)}%`;

/** One lane per scope, a bar per span of an unchanged holding, placed on a shared time axis (plain CSS). */
function HeldPicture({ timeline }: { timeline: Timeline }) {
  const { start, end, lanes } = timeline;
  const width = Math.max(end - start, 1);
  return (
    <figure className="held-picture">
      <figcaption className="muted">
        From <time dateTime={new Date(start).toISOString()}>{new Date(start).toISOString()}</time> to{' '}
        <time dateTime={new Date(end).toISOString()}>{new Date(end).toISOString()}</time>
      </figcaption>
      <ul className="lanes">
        {lanes.map((lane) => (
          <li key={lane.scope} className="lane">
            <span className="lane-scope">{lane.scope}</span>
            <span className="lane-track">
              {drawnSpans(lane.spans, start, end).map((span, index) => {
                const period = `from ${new Date(span.from).toISOString()} to ${new Date(span.to).toISOString()}`;
                const words =
                  span.holdings === 1 ? `${span.held}, ${period}` : `${span.holdings} holdings in turn, ${period}`;
                return (
                  <span
                    key={index}
                    className={span.holdings === 1 ? 'held-span' : 'held-span dense'}
                    title={words}
                    style={{
                      left: percent((span.from - start) / width),
                      width: percent((span.to - span.from) / width),
                    }}
                  >
                    <span className="visually-hidden">{words}</span>
                    <span aria-hidden="true">{span.holdings === 1 ? span.held : `${span.holdings} holdings`}</span>
                  </span>
                );
              })}
            </span>
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** The changes, a page at a time, so ten thousand of them render as fast as a hundred. */
function ChangeList({ entries }: { entries: HistoryEntry[] }) {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(entries.length / pageSize));
  const current = Math.min(page, pages - 1);
  const from = current * pageSize;
  const shown = entries.slice(from, from + pageSize);
  return (
    <>
      <h2>Changes</h2>
      <p className="change-count">
        {entries.length === 0
          ? 'No change.'
          : `${entries.length} change${entries.length === 1 ? '' : 's'}; showing ${from + 1}–${from + shown.length}, oldest first.`}
      </p>
      {pages > 1 && <Pager current={current} pages={pages} onPage={setPage} />}
      {shown.length > 0 && (
        <table className="changes">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Change</th>
              <th scope="col">Scope</th>
              <th scope="col">Actor</th>
              <th scope="col">Reason</th>
              <th scope="col">Before → after</th>
              <th scope="col">Permissions</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((entry) => (
              <tr key={entry.eventId}>
                <td>
                  <time dateTime={entry.occurredAt}>{entry.occurredAt}</time>
                </td>
                <td>
                  {entry.type}
                  {entry.cause && typeof entry.cause.type === 'string' && (
                    <span className="muted"> (caused by {entry.cause.type})</span>
                  )}
                </td>
                <td>
                  {entry.group !== undefined
                    ? `group ${entry.group}`
                    : entry.projectId !== undefined
                      ? `project ${entry.projectId}`
                      : 'team'}
                </td>
                <td>{entry.actorId}</td>
                <td className="reason">{entry.reason ?? ''}</td>
                <td>
                  {stateInWords(entry.before)} → {stateInWords(entry.after)}
                </td>
                <td>
                  {entry.granted.length + entry.revoked.length === 0
                    ? 'none'
                    : `gained ${entry.granted.length}, lost ${entry.revoked.length}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Pager({ current, pages, onPage }: { current: number; pages: number; onPage: (page: number) => void }) {
  return (
    <nav className="inline" aria-label="Pages of changes">
      <button type="button" disabled={current === 0} onClick={() => onPage(current - 1)}>
        Earlier changes
      </button>
      <span>
        Page {current + 1} of {pages}
      </span>
      <button type="button" disabled={current === pages - 1} onClick={() => onPage(current + 1)}>
        Later changes
      </button>
    </nav>
  );
}
