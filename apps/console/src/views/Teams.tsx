import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiRefusal, getJson, segment } from '../api';
import { Refusal } from './Refusal';

/** A team of `GET /v1/teams`: one the signed-in user can read, with their role in it. */
interface ListedTeam {
  id: string;
  name: string;
  plan: string;
  role: string | null;
  quarantined?: boolean;
}

interface TeamList {
  teams: ListedTeam[];
  nextCursor: string | null;
}

type Listed =
  | { state: 'loading' }
  | { state: 'done'; teams: ListedTeam[]; nextCursor: string | null; more: 'idle' | 'loading' | string }
  | { state: 'refused'; message: string; status: number };

const pageSize = 50;

/** The teams the user can read (the API's list, page by page), and a way to open another by its id. */
export function Teams() {
  const navigate = useNavigate();
  const [teamId, setTeamId] = useState('');
  const [listed, setListed] = useState<Listed>({ state: 'loading' });

  useEffect(() => {
    let current = true;
    getJson<TeamList>(`/v1/teams?limit=${pageSize}`).then(
      (page) => current && setListed({ state: 'done', ...page, more: 'idle' }),
      (error: unknown) =>
        current &&
        setListed({
          state: 'refused',
          status: error instanceof ApiRefusal ? error.status : 0,
          message: error instanceof Error ? error.message : String(error),
        }),
    );
    return () => {
      current = false;
    };
  }, []);

  const loadMore = () => {
    if (listed.state !== 'done' || listed.nextCursor === null) return;
    const { teams, nextCursor } = listed;
    setListed({ ...listed, more: 'loading' });
    getJson<TeamList>(`/v1/teams?limit=${pageSize}&cursor=${segment(nextCursor)}`).then(
      (page) =>
        setListed({ state: 'done', teams: [...teams, ...page.teams], nextCursor: page.nextCursor, more: 'idle' }),
      (error: unknown) => setListed({ ...listed, more: error instanceof Error ? error.message : String(error) }),
    );
  };

  const open = (event: FormEvent) => {
    event.preventDefault();
    if (teamId.trim() !== '') navigate(`/teams/${encodeURIComponent(teamId.trim())}`);
  };
  return (
    <>
      <h1>Teams</h1>
      {listed.state === 'loading' && <p>Loading your teams…</p>}
      {listed.state === 'refused' && <Refusal message={listed.message} status={listed.status} />}
      {listed.state === 'done' &&
        (listed.teams.length === 0 ? (
          <p data-testid="no-teams">
            You can read no team yet: you are a member of none with team.view or team.audit.view. Ask a team owner to
            add you, or open a team by its id below.
          </p>
        ) : (
          <>
            <ul className="team-list" aria-label="Teams you can read">
              {listed.teams.map((team) => (
                <li key={team.id} data-team-id={team.id}>
                  <Link to={`/teams/${segment(team.id)}`}>{team.name}</Link>{' '}
                  <span className="muted">
                    ({team.id}, plan {team.plan}
                    {team.role !== null ? `, your role ${team.role}` : ''})
                  </span>
                  {team.quarantined && ' — its read models stopped at an event that could not be applied'}
                </li>
              ))}
            </ul>
            {listed.nextCursor !== null && (
              <button type="button" onClick={loadMore} disabled={listed.more === 'loading'}>
                {listed.more === 'loading' ? 'Loading…' : 'Load more teams'}
              </button>
            )}
            {listed.more !== 'idle' && listed.more !== 'loading' && <Refusal message={listed.more} status={0} />}
          </>
        ))}
      <h2>Open a team by its id</h2>
      <form onSubmit={open} className="inline">
        <label htmlFor="team-id">Team id</label>
        <input id="team-id" value={teamId} onChange={(event) => setTeamId(event.target.value)} required />
        <button type="submit">Open team</button>
      </form>
    </>
  );
}
