import { Link, useParams } from 'react-router';
import { segment, type AuditSummary, type TeamView as Team } from '../api';
import { useApi } from '../use-api';
import { AccessForm } from './AccessView';
import { Refusal } from './Refusal';

/** A team: members with their roles, groups and project roles; projects with their security settings; findings. */
export function TeamView() {
  const teamId = useParams().teamId!;
  const team = useApi<Team>(`/v1/teams/${segment(teamId)}`);
  const summary = useApi<AuditSummary>(`/v1/teams/${segment(teamId)}/audit/summary`);

  if (team.state === 'loading') return <p>Loading team {teamId}…</p>;
  if (team.state === 'refused') return <Refusal message={team.message} status={team.status} />;
  const { value } = team;
  return (
    <>
      <h1>
        {value.name}{' '}
        <span className="muted">
          ({value.id}, plan {value.plan})
        </span>
      </h1>

      <h2>Members</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Team role</th>
            <th scope="col">Permission groups</th>
            <th scope="col">Project roles</th>
          </tr>
        </thead>
        <tbody>
          {value.members.map((member) => (
            <tr key={member.userId}>
              <td>
                <Link to={`/teams/${segment(teamId)}/members/${segment(member.userId)}`}>{member.userId}</Link>
              </td>
              <td>{member.role}</td>
              <td>{member.permissionGroups.length ? member.permissionGroups.join(', ') : 'none'}</td>
              <td>
                {Object.keys(member.projectRoles).length
                  ? Object.entries(member.projectRoles)
                      .map(([projectId, role]) => `${role} on ${projectId}`)
                      .join(', ')
                  : 'none'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Projects</h2>
      {value.projects.length === 0 ? (
        <p>No project.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Project</th>
              <th scope="col">Name</th>
              <th scope="col">Security settings</th>
            </tr>
          </thead>
          <tbody>
            {value.projects.map((project) => (
              <tr key={project.id}>
                <td>{project.id}</td>
                <td>{project.name}</td>
                <td>
                  <dl className="settings">
                    {Object.entries(project.security).map(([setting, state]) => (
                      <div key={setting}>
                        <dt>{setting}</dt>
                        <dd>{JSON.stringify(state)}</dd>
                      </div>
                    ))}
                  </dl>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <p>
        <Link to={`/teams/${segment(teamId)}/access-reviews`}>Access reviews</Link> ·{' '}
        <Link to={`/teams/${segment(teamId)}/audit`}>Audit log</Link> ·{' '}
        <Link to={`/teams/${segment(teamId)}/changes`}>Live changes</Link>
      </p>

      <h2>Who can do what</h2>
      <AccessForm teamId={teamId} projects={value.projects} />

      <h2>Findings</h2>
      {summary.state === 'loading' && <p>Loading findings…</p>}
      {summary.state === 'refused' && <Refusal message={summary.message} status={summary.status} />}
      {summary.state === 'done' &&
        (summary.value.findings.length === 0 ? (
          <p>No finding.</p>
        ) : (
          <ul className="findings">
            {summary.value.findings.map((finding, index) => (
              <li key={`${finding.finding}-${index}`}>
                <strong>{finding.message}</strong> ({finding.finding}; {finding.policy})
                {finding.userIds.length > 0 && <> — users: {finding.userIds.join(', ')}</>}
              </li>
            ))}
          </ul>
        ))}
      <p>
        <Link to="/teams">All teams</Link>
      </p>
    </>
  );
}
