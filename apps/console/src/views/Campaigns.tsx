import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiRefusal, segment } from '../api';
import { postJson, type CampaignSummary } from '../campaign-api';
import { useApi } from '../use-api';
import { Refusal } from './Refusal';

/** A team's access-review campaigns (listing needs team.audit.view), opening one by id, and starting one. */
export function Campaigns() {
  const teamId = useParams().teamId!;
  const list = useApi<{ accessReviews: CampaignSummary[] }>(`/v1/teams/${segment(teamId)}/access-reviews`);
  return (
    <>
      <h1>Access reviews of team {teamId}</h1>
      <h2>Campaigns</h2>
      {list.state === 'loading' && <p>Loading campaigns…</p>}
      {list.state === 'refused' && (
        <>
          <Refusal message={list.message} status={list.status} />
          <p className="help">
            A named reviewer without team.audit.view can still open their campaign by its id below.
          </p>
        </>
      )}
      {list.state === 'done' &&
        (list.value.accessReviews.length === 0 ? (
          <p>No campaign yet.</p>
        ) : (
          <table className="campaigns">
            <thead>
              <tr>
                <th scope="col">Campaign</th>
                <th scope="col">Status</th>
                <th scope="col">Due</th>
                <th scope="col">Reviewers</th>
                <th scope="col">Items</th>
              </tr>
            </thead>
            <tbody>
              {list.value.accessReviews.map((campaign) => (
                <tr key={campaign.reviewId}>
                  <td>
                    <Link to={`/teams/${segment(teamId)}/access-reviews/${segment(campaign.reviewId)}`}>
                      {campaign.name}
                    </Link>{' '}
                    <span className="muted">({campaign.reviewId})</span>
                  </td>
                  <td>
                    {campaign.status}
                    {campaign.overdue && ', past due'}
                  </td>
                  <td>{campaign.dueAt}</td>
                  <td>{campaign.reviewerIds.join(', ')}</td>
                  <td>{campaign.items}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      <OpenById teamId={teamId} />
      <StartCampaign teamId={teamId} />
      <p>
        <Link to={`/teams/${segment(teamId)}`}>Back to team {teamId}</Link>
      </p>
    </>
  );
}

function OpenById({ teamId }: { teamId: string }) {
  const navigate = useNavigate();
  const [reviewId, setReviewId] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (reviewId.trim() !== '') void navigate(`/teams/${segment(teamId)}/access-reviews/${segment(reviewId.trim())}`);
  };
  return (
    <form className="inline" onSubmit={submit} aria-labelledby="open-campaign">
      <h2 id="open-campaign">Open a campaign by id</h2>
      <label>
        Campaign id <input value={reviewId} onChange={(event) => setReviewId(event.target.value)} required />
      </label>
      <button type="submit">Open campaign</button>
    </form>
  );
}

/** Starting a campaign: POST …/access-reviews { name, reviewerIds, dueAt } (an owner's command). */
function StartCampaign({ teamId }: { teamId: string }) {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [reviewers, setReviewers] = useState('');
  const [due, setDue] = useState('');
  const [refusal, setRefusal] = useState<{ message: string; status: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const dueAt = new Date(due);
    if (Number.isNaN(dueAt.getTime())) {
      setRefusal({ message: 'Give the due date and time.', status: 400 });
      return;
    }
    setBusy(true);
    setRefusal(null);
    try {
      const opened = await postJson<{ reviewId: string }>(`/v1/teams/${segment(teamId)}/access-reviews`, {
        name,
        reviewerIds: reviewers
          .split(',')
          .map((id) => id.trim())
          .filter((id) => id !== ''),
        dueAt: dueAt.toISOString(),
      });
      void navigate(`/teams/${segment(teamId)}/access-reviews/${segment(opened.reviewId)}`);
    } catch (error) {
      setRefusal({
        message: error instanceof Error ? error.message : String(error),
        status: error instanceof ApiRefusal ? error.status : 0,
      });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="campaign-start" onSubmit={(event) => void submit(event)} aria-labelledby="start-campaign">
      <h2 id="start-campaign">Start a campaign</h2>
      <label>
        Name <input value={name} onChange={(event) => setName(event.target.value)} required />
      </label>
      <label>
        Reviewers (user ids, comma-separated){' '}
        <input value={reviewers} onChange={(event) => setReviewers(event.target.value)} required />
      </label>
      <label>
        Due (your local time){' '}
        <input type="datetime-local" value={due} onChange={(event) => setDue(event.target.value)} required />
      </label>
      <button type="submit" disabled={busy}>
        Start campaign
      </button>
      {refusal && <Refusal message={refusal.message} status={refusal.status} />}
    </form>
  );
}
