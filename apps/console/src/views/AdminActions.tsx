import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiRefusal, segment, type TeamView } from '../api';
import { apply, preview, type Command, type Preview } from '../commands';
import { Refusal } from './Refusal';
import { teamRoles } from '@access-audit/policy';

interface Action {
  command: Command;
  /** What it does, in words: "change bob's team role to developer". */
  words: string;
}

type Step =
  | { state: 'idle' }
  | { state: 'previewing'; action: Action }
  | { state: 'previewed'; action: Action; preview: Preview; etag: string }
  | { state: 'applying'; action: Action; preview: Preview; etag: string }
  | { state: 'applied'; action: Action; revision: number }
  | { state: 'refused'; action: Action; message: string; status: number; afterConfirm: boolean };

const refusalOf = (error: unknown) => ({
  message: error instanceof Error ? error.message : String(error),
  status: error instanceof ApiRefusal ? error.status : 0,
});

/**
 * Change role, remove member, revoke a permission group: each first shows its impact preview (`?dryRun=true`), then on
 * Confirm runs pinned to the previewed revision (`If-Match`), so a team changed meanwhile is refused rather than surprised.
 */
export function AdminActions({
  teamId,
  userId,
  member,
  onApplied,
}: {
  teamId: string;
  userId: string;
  member: TeamView['members'][number] | undefined;
  onApplied: (position: string) => void;
}) {
  const [role, setRole] = useState(member?.role ?? 'member');
  const [reason, setReason] = useState('');
  const [step, setStep] = useState<Step>({ state: 'idle' });
  const previewHeading = useRef<HTMLHeadingElement>(null);
  const memberPath = `/v1/teams/${segment(teamId)}/members/${segment(userId)}`;
  const withReason = reason.trim() ? { reason: reason.trim() } : undefined;

  // The preview takes the focus, so keyboard and screen reader users land on what would change.
  useEffect(() => {
    if (step.state === 'previewed' || step.state === 'refused' || step.state === 'applied')
      previewHeading.current?.focus();
  }, [step.state]);

  const startPreview = (action: Action) => {
    setStep({ state: 'previewing', action });
    preview(action.command).then(
      ({ preview: answer, etag }) => setStep({ state: 'previewed', action, preview: answer, etag }),
      (error: unknown) => setStep({ state: 'refused', action, ...refusalOf(error), afterConfirm: false }),
    );
  };
  const confirm = (action: Action, previewed: Preview, etag: string) => {
    setStep({ state: 'applying', action, preview: previewed, etag });
    apply(action.command, etag).then(
      (applied) => {
        setStep({ state: 'applied', action, revision: applied.streamRevision });
        onApplied(applied.position);
      },
      (error: unknown) => setStep({ state: 'refused', action, ...refusalOf(error), afterConfirm: true }),
    );
  };
  const changeRole = (event: FormEvent) => {
    event.preventDefault();
    startPreview({
      command: { method: 'PUT', path: `${memberPath}/role`, body: { role, ...withReason } },
      words: `change ${userId}'s team role${member ? ` from ${member.role}` : ''} to ${role}`,
    });
  };
  const remove = (event: FormEvent) => {
    event.preventDefault();
    startPreview({
      command: { method: 'DELETE', path: memberPath, ...(withReason ? { body: withReason } : {}) },
      words: `remove ${userId} from the team`,
    });
  };
  const busy = step.state === 'previewing' || step.state === 'applying';

  return (
    <>
      {member === undefined ? (
        <p>{userId} is not a member of this team now.</p>
      ) : (
        <div className="admin-actions">
          <label>
            Reason <span className="muted">(recorded with the change)</span>{' '}
            <input value={reason} maxLength={500} onChange={(event) => setReason(event.target.value)} />
          </label>
          <form className="inline" onSubmit={changeRole}>
            <label>
              New team role{' '}
              <select value={role} onChange={(event) => setRole(event.target.value)}>
                {teamRoles.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" disabled={busy}>
              Preview role change
            </button>
          </form>
          <form className="inline" onSubmit={remove}>
            <button type="submit" disabled={busy}>
              Preview removal from the team
            </button>
          </form>
          {member.permissionGroups.map((group) => (
            <form
              key={group}
              className="inline"
              onSubmit={(event) => {
                event.preventDefault();
                startPreview({
                  command: {
                    method: 'DELETE',
                    path: `${memberPath}/permission-groups/${segment(group)}`,
                    ...(withReason ? { body: withReason } : {}),
                  },
                  words: `revoke the permission group ${group} from ${userId}`,
                });
              }}
            >
              <button type="submit" disabled={busy}>
                Preview revoking group {group}
              </button>
            </form>
          ))}
        </div>
      )}

      {step.state !== 'idle' && (
        <section className="impact-preview" aria-labelledby="impact-preview-heading">
          <h3 id="impact-preview-heading" ref={previewHeading} tabIndex={-1}>
            {step.state === 'applied' ? 'Done' : 'Impact preview'}: {step.action.words}
          </h3>
          {step.state === 'previewing' && <p>Asking the API what this would change…</p>}
          {step.state === 'refused' && (
            <>
              <Refusal message={step.message} status={step.status} />
              {step.afterConfirm && step.status === 409 && (
                <button type="button" onClick={() => startPreview(step.action)}>
                  Preview again
                </button>
              )}
            </>
          )}
          {(step.state === 'previewed' || step.state === 'applying') && (
            <>
              <p>
                Nothing has changed yet. Decided on team revision{' '}
                <span className="preview-revision">{step.preview.streamRevision}</span>; it would record{' '}
                {step.preview.events.map((event) => event.type).join(', ') || 'no event'}.
              </p>
              <PermissionChanges preview={step.preview} />
              <div className="inline">
                <button
                  type="button"
                  disabled={step.state === 'applying'}
                  onClick={() => confirm(step.action, step.preview, step.etag)}
                >
                  Confirm
                </button>
                <button type="button" disabled={step.state === 'applying'} onClick={() => setStep({ state: 'idle' })}>
                  Cancel
                </button>
              </div>
            </>
          )}
          {step.state === 'applied' && <p role="status">Applied; the team is now at revision {step.revision}.</p>}
        </section>
      )}
    </>
  );
}

function PermissionChanges({ preview: answer }: { preview: Preview }) {
  if (answer.permissionChanges.length === 0) return <p>No one&apos;s permissions would change.</p>;
  return (
    <table className="permission-changes">
      <caption>Who would gain or lose what, where</caption>
      <thead>
        <tr>
          <th scope="col">User</th>
          <th scope="col">Change</th>
          <th scope="col">Permission</th>
          <th scope="col">Where</th>
        </tr>
      </thead>
      <tbody>
        {answer.permissionChanges.map((change) => (
          <tr key={`${change.change} ${change.userId} ${String(change.projectId)} ${change.permission}`}>
            <td>{change.userId}</td>
            <td>{change.change === 'granted' ? 'gains' : 'loses'}</td>
            <td>{change.permission}</td>
            <td>{change.projectId === null ? 'the team' : `project ${change.projectId}`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
