import { useEffect, useState } from 'react';
import { Link, useMatch, useParams, useSearchParams } from 'react-router';
import { segment } from '../api';
import { followChangeStream, type PermissionChange, type StreamStatus } from '../change-stream';
import { Refusal } from './Refusal';

/** The most changes the view keeps on screen (the oldest drop off; the member timelines keep them all). */
const shownAtMost = 1000;

/** `MemberRemoved` → "member removed". */
const eventInWords = (type: string): string => type.replace(/(?<=[a-z])(?=[A-Z])/g, ' ').toLowerCase();

function statusInWords(status: StreamStatus): string {
  switch (status.state) {
    case 'connecting':
      return 'Connecting to the change feed…';
    case 'live':
      return `Live: changes appear as they happen${status.after !== undefined ? ` (resumed after position ${status.after})` : ''}.`;
    case 'reconnecting':
      return `Reconnecting: the stream dropped (${status.why}); resuming after ${status.after !== undefined ? `position ${status.after}` : 'the start'}, nothing is missed.`;
    case 'refused':
      return 'Not streaming: the API refused the change feed.';
  }
}

/** One team's change feed, streamed live: each permission granted or revoked, newest first, with its cause. */
export function LiveChanges() {
  const teamId = useParams().teamId!;
  const after = useSearchParams()[0].get('after') ?? undefined;
  const [changes, setChanges] = useState<PermissionChange[]>([]);
  const [status, setStatus] = useState<StreamStatus>({ state: 'connecting' });

  useEffect(() => {
    setChanges([]);
    // Leaving the view (or opening another team) aborts the stream.
    const controller = new AbortController();
    void followChangeStream(teamId, after, controller.signal, {
      onChanges: (arrived) => {
        // Newest first, within one event too; reversed once here, since React may call an updater twice.
        const newestFirst = [...arrived].reverse();
        setChanges((shown) => [...newestFirst, ...shown].slice(0, shownAtMost));
      },
      onStatus: setStatus,
    });
    return () => controller.abort();
  }, [teamId, after]);

  const team = segment(teamId);
  return (
    <>
      <h1>
        Live changes <span className="muted">(team {teamId})</span>
      </h1>
      <p>
        Every permission granted or revoked in this team, newest first, as the change feed reports it.{' '}
        <Link to={`/teams/${team}`}>Back to the team</Link>
      </p>
      <p
        role="status"
        className={`stream-status ${status.state}`}
        data-testid="stream-status"
        data-state={status.state}
      >
        {statusInWords(status)}
      </p>
      {status.state === 'refused' && <Refusal message={status.message} status={status.status} />}
      {changes.length === 0 ? (
        status.state !== 'refused' && <p>No change yet: each one appears here as it happens.</p>
      ) : (
        <table className="live-changes">
          <thead>
            <tr>
              <th scope="col">When (position)</th>
              <th scope="col">User</th>
              <th scope="col">Project</th>
              <th scope="col">Permission</th>
              <th scope="col">Change</th>
              <th scope="col">Cause</th>
            </tr>
          </thead>
          <tbody>
            {changes.map((change) => (
              <tr
                key={`${change.position} ${change.userId} ${change.projectId ?? ''} ${change.permission}`}
                data-change={`${change.position} ${change.userId} ${change.projectId ?? '-'} ${change.permission} ${change.change}`}
              >
                <td>
                  <time dateTime={change.cause.occurredAt}>{new Date(change.cause.occurredAt).toLocaleString()}</time>{' '}
                  <span className="muted">({change.position})</span>
                </td>
                <td>
                  <Link to={`/teams/${team}/members/${segment(change.userId)}`}>{change.userId}</Link>
                </td>
                <td>{change.projectId ?? 'team-wide'}</td>
                <td>{change.permission}</td>
                <td className={change.change}>{change.change}</td>
                <td className="reason">
                  {eventInWords(change.cause.type)} by {change.cause.actorId}
                  {change.cause.reason ? `: “${change.cause.reason}”` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** In the header, on any view of a team: a link to that team's live changes. */
export function LiveChangesNavLink() {
  const match = useMatch('/teams/:teamId/*');
  const teamId = match?.params.teamId;
  if (teamId === undefined || teamId === '') return null;
  return (
    <nav aria-label="Team">
      <Link to={`/teams/${segment(teamId)}/changes`}>Live changes of {teamId}</Link>
    </nav>
  );
}
