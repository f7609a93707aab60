import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { ApiRefusal, getJson, segment } from '../api';
import { download, postJson, type Campaign, type CampaignItem } from '../campaign-api';
import { Refusal } from './Refusal';

type Said = { message: string; status: number };
const saidOf = (error: unknown): Said => ({
  message: error instanceof Error ? error.message : String(error),
  status: error instanceof ApiRefusal ? error.status : 0,
});

/** The grant an item reviews, in words. */
function grantInWords(item: CampaignItem): string {
  switch (item.kind) {
    case 'team_role':
      return `${item.userId}: team role ${item.role ?? '?'}`;
    case 'project_role':
      return `${item.userId}: project role ${item.role ?? '?'} on project ${item.projectId ?? '?'}`;
    case 'permission_group':
      return `${item.userId}: permission group ${item.group ?? '?'}`;
    default:
      return `${item.userId}: ${item.kind}`;
  }
}

/** A campaign: its items and decisions, a decision per item, completion and the evidence. */
export function CampaignView() {
  const params = useParams();
  const teamId = params.teamId!;
  const reviewId = params.reviewId!;
  const path = `/v1/teams/${segment(teamId)}/access-reviews/${segment(reviewId)}`;
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [loadRefusal, setLoadRefusal] = useState<Said | null>(null);
  const [completion, setCompletion] = useState<Said | null>(null);
  const [completed, setCompleted] = useState(false);
  const [evidenceRefusal, setEvidenceRefusal] = useState<Said | null>(null);

  const reload = useCallback(async () => {
    try {
      setCampaign(await getJson<Campaign>(path));
      setLoadRefusal(null);
    } catch (error) {
      setLoadRefusal(saidOf(error));
    }
  }, [path]);
  useEffect(() => {
    setCampaign(null);
    void reload();
  }, [reload]);

  if (loadRefusal) return <Refusal message={loadRefusal.message} status={loadRefusal.status} />;
  if (campaign === null) return <p>Loading campaign {reviewId}…</p>;

  const complete = async () => {
    setCompletion(null);
    try {
      await postJson(`${path}/complete`, {});
      setCompleted(true);
      await reload();
    } catch (error) {
      setCompletion(saidOf(error));
    }
  };
  const saveEvidence = async (format: 'json' | 'csv') => {
    setEvidenceRefusal(null);
    try {
      await download(
        `${path}/evidence?format=${format}`,
        `access-review-${teamId}-${reviewId}.${format}`,
        format === 'csv' ? 'text/csv' : 'application/json',
      );
    } catch (error) {
      setEvidenceRefusal(saidOf(error));
    }
  };
  const open = campaign.status === 'open';
  const { summary } = campaign;
  return (
    <>
      <h1>
        {campaign.name} <span className="muted">(campaign {campaign.reviewId})</span>
      </h1>
      <dl className="campaign-facts">
        <div>
          <dt>Status</dt>
          <dd>
            {campaign.status}
            {campaign.overdue && ', past its due date'}
          </dd>
        </div>
        <div>
          <dt>Opened</dt>
          <dd>
            by {campaign.openedBy} at {campaign.openedAt}
          </dd>
        </div>
        <div>
          <dt>Due</dt>
          <dd>{campaign.dueAt}</dd>
        </div>
        <div>
          <dt>Reviewers</dt>
          <dd>{campaign.reviewerIds.join(', ')}</dd>
        </div>
        <div>
          <dt>Decided</dt>
          <dd>
            {summary.decided} of {summary.items} ({summary.keep} keep, {summary.revoke} revoke)
            {campaign.defaultDecision === 'revoke' && '; undecided items are revoked at completion'}
          </dd>
        </div>
        {campaign.closing && (
          <div>
            <dt>Closed</dt>
            <dd>
              by {campaign.closing.closedBy ?? '?'} at {campaign.closing.closedAt ?? '?'}
            </dd>
          </div>
        )}
      </dl>

      <h2>Items</h2>
      <ul className="campaign-items">
        {campaign.items.map((item) => (
          <li key={item.itemId}>
            <ItemDecision item={item} open={open} path={path} onDecided={reload} />
          </li>
        ))}
      </ul>

      {open && (
        <section aria-labelledby="complete-heading">
          <h2 id="complete-heading">Complete</h2>
          <p className="help">Completing applies every revoke as a team command in your name.</p>
          <button type="button" onClick={() => void complete()}>
            Complete campaign
          </button>
          {completion && <Refusal message={completion.message} status={completion.status} />}
        </section>
      )}
      {completed && <p role="status">The campaign is completed.</p>}

      <section aria-labelledby="evidence-heading">
        <h2 id="evidence-heading">Evidence</h2>
        <p className="help">Signed with the audit checkpoint key.</p>
        <div className="inline">
          <button type="button" onClick={() => void saveEvidence('json')}>
            Download evidence (JSON)
          </button>
          <button type="button" onClick={() => void saveEvidence('csv')}>
            Download evidence (CSV)
          </button>
        </div>
        {evidenceRefusal && <Refusal message={evidenceRefusal.message} status={evidenceRefusal.status} />}
      </section>
      <p>
        <Link to={`/teams/${segment(teamId)}/access-reviews`}>All campaigns of team {teamId}</Link>
      </p>
    </>
  );
}

/** One item: the grant, its decision in force, and (while open) a keep/revoke form with a justification. */
function ItemDecision({
  item,
  open,
  path,
  onDecided,
}: {
  item: CampaignItem;
  open: boolean;
  path: string;
  onDecided: () => Promise<void>;
}) {
  const [decision, setDecision] = useState<'keep' | 'revoke' | null>(null);
  const [justification, setJustification] = useState('');
  const [refusal, setRefusal] = useState<Said | null>(null);
  const [busy, setBusy] = useState(false);
  const grant = grantInWords(item);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (decision === null) {
      setRefusal({ message: `Choose keep or revoke for ${grant}.`, status: 400 });
      return;
    }
    setBusy(true);
    setRefusal(null);
    try {
      await postJson(`${path}/items/${segment(item.itemId)}/decision`, {
        decision,
        ...(justification.trim() !== '' ? { justification } : {}),
      });
      setJustification('');
      await onDecided();
    } catch (error) {
      setRefusal(saidOf(error));
    } finally {
      setBusy(false);
    }
  };
  const name = `decision-${item.itemId}`;
  return (
    <article className="campaign-item" aria-label={`Item ${item.itemId}`}>
      <h3>
        {grant} <span className="muted">({item.itemId})</span>
      </h3>
      <p className="muted">
        granted by {item.grantedBy} at {item.grantedAt}
        {item.privileged && '; privileged: a decision needs a justification'}
      </p>
      <p className="item-decision">
        {item.decision
          ? `Decided ${item.decision.decision} by ${item.decision.reviewerId} at ${item.decision.decidedAt}${
              item.decision.justification ? `: ${item.decision.justification}` : ''
            }`
          : 'Undecided'}
        {item.outcome?.result !== undefined && ` — outcome: ${item.outcome.result}`}
      </p>
      {open && (
        <form onSubmit={(event) => void submit(event)}>
          <fieldset>
            <legend>Decision on {grant}</legend>
            <label>
              <input
                type="radio"
                name={name}
                value="keep"
                checked={decision === 'keep'}
                onChange={() => setDecision('keep')}
              />{' '}
              Keep
            </label>
            <label>
              <input
                type="radio"
                name={name}
                value="revoke"
                checked={decision === 'revoke'}
                onChange={() => setDecision('revoke')}
              />{' '}
              Revoke
            </label>
            <label>
              Justification <input value={justification} onChange={(event) => setJustification(event.target.value)} />
            </label>
            <button type="submit" disabled={busy}>
              Record decision
            </button>
          </fieldset>
          {refusal && <Refusal message={refusal.message} status={refusal.status} />}
        </form>
      )}
    </article>
  );
}
