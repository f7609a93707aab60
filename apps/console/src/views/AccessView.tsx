import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { segment, viaInWords, type ProjectAccess, type TeamView } from '../api';
import { useApi } from '../use-api';
import { Refusal } from './Refusal';
import { projectPermissions } from '@access-audit/policy';

// The project permissions of POLICY.md, from the policy table itself, offered as suggestions; any name may be typed.
const permissions = projectPermissions;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** An instant as the value of a datetime-local input (local time, to the millisecond). */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function accessPath(teamId: string, projectId: string, permission: string, at: string | null): string {
  const query = new URLSearchParams({ projectId, permission });
  if (at) query.set('at', at);
  return `/teams/${segment(teamId)}/access?${query.toString()}`;
}

/** "Who can do P on project X", now or at an instant picked in local time; opens the access view's deep link. */
export function AccessForm({
  teamId,
  projects,
  initial,
}: {
  teamId: string;
  projects: TeamView['projects'];
  initial?: { projectId: string; permission: string; at: string | null };
}) {
  const navigate = useNavigate();
  const [projectId, setProjectId] = useState(initial?.projectId ?? projects[0]?.id ?? '');
  const [permission, setPermission] = useState(initial?.permission ?? 'project.deploy.production');
  const [at, setAt] = useState(initial?.at ? toLocalInput(initial.at) : '');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    let instant: string | null = null;
    if (at !== '') {
      const parsed = new Date(at);
      if (Number.isNaN(parsed.getTime())) {
        setProblem('The instant is not a valid date and time.');
        return;
      }
      instant = parsed.toISOString();
    }
    setProblem(null);
    navigate(accessPath(teamId, projectId, permission, instant));
  };
  return (
    <form onSubmit={submit} className="access-form">
      <label htmlFor="access-project">Project</label>
      <select id="access-project" value={projectId} onChange={(event) => setProjectId(event.target.value)} required>
        {projects.map((project) => (
          <option key={project.id} value={project.id}>
            {project.name} ({project.id})
          </option>
        ))}
      </select>
      <label htmlFor="access-permission">Permission</label>
      <input
        id="access-permission"
        list="known-permissions"
        value={permission}
        onChange={(event) => setPermission(event.target.value)}
        required
      />
      <datalist id="known-permissions">
        {permissions.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <label htmlFor="access-at">At (your local time; empty for now)</label>
      <input
        id="access-at"
        type="datetime-local"
        step="0.001"
        value={at}
        onChange={(event) => setAt(event.target.value)}
      />
      {problem && (
        <p role="alert" className="refusal">
          {problem}
        </p>
      )}
      <button type="submit">Show who holds it</button>
    </form>
  );
}

/** Who holds a permission on a project, now or at `at`, each with why. */
export function AccessView() {
  const teamId = useParams().teamId!;
  const [params] = useSearchParams();
  const projectId = params.get('projectId') ?? '';
  const permission = params.get('permission') ?? '';
  const at = params.get('at');
  const team = useApi<TeamView>(`/v1/teams/${segment(teamId)}`);
  const query = new URLSearchParams({ permission });
  if (at) query.set('at', at);
  const access = useApi<ProjectAccess>(
    projectId && permission
      ? `/v1/teams/${segment(teamId)}/projects/${segment(projectId)}/access?${query.toString()}`
      : null,
  );
  return (
    <>
      <h1>
        Who can do {permission || '…'} on project {projectId || '…'}
      </h1>
      <p>
        {at ? `As it was at ${at} (${new Date(at).toLocaleString()} your time).` : 'Now.'}{' '}
        <Link to={`/teams/${segment(teamId)}`}>Back to team {teamId}</Link>
      </p>
      {team.state === 'done' && (
        <AccessForm
          key={params.toString()}
          teamId={teamId}
          projects={team.value.projects}
          initial={{ projectId, permission, at }}
        />
      )}
      {!(projectId && permission) ? (
        <p>Choose a project and a permission.</p>
      ) : access.state === 'loading' ? (
        <p>Loading…</p>
      ) : access.state === 'refused' ? (
        <Refusal message={access.message} status={access.status} />
      ) : access.value.users.length === 0 ? (
        <p className="answer">
          Nobody holds {permission} on this project{at ? ' at that instant' : ''}.
        </p>
      ) : (
        <table className="answer">
          <caption>
            {access.value.users.length} {access.value.users.length === 1 ? 'user holds' : 'users hold'} it
          </caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {access.value.users.map((user) => (
              <tr key={user.userId}>
                <td>{user.userId}</td>
                <td>{user.via.map(viaInWords).join('; and ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
