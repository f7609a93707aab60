import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { rememberedTeams } from '../session';

/** The teams opened in this tab, and a way to open another by its id (the API has no route listing a user's teams). */
export function Teams() {
  const navigate = useNavigate();
  const [teamId, setTeamId] = useState('');
  const teams = rememberedTeams();
  const open = (event: FormEvent) => {
    event.preventDefault();
    if (teamId.trim() !== '') navigate(`/teams/${encodeURIComponent(teamId.trim())}`);
  };
  return (
    <>
      <h1>Teams</h1>
      <form onSubmit={open} className="inline">
        <label htmlFor="team-id">Team id</label>
        <input id="team-id" value={teamId} onChange={(event) => setTeamId(event.target.value)} required />
        <button type="submit">Open team</button>
      </form>
      {teams.length === 0 ? (
        <p>No team opened yet in this tab: open one by its id.</p>
      ) : (
        <>
          <h2>Opened in this tab</h2>
          <ul>
            {teams.map((id) => (
              <li key={id}>
                <Link to={`/teams/${encodeURIComponent(id)}`}>{id}</Link>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
