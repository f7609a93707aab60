import { useEffect, useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { ApiRefusal, getJson, segment } from '../api';
import { downloadWithToken } from '../download';
import { useApi } from '../use-api';
import { toLocalInput } from './AccessView';
import { Refusal } from './Refusal';
import { SignedHead, type SignedCheckpoint } from './SignedCheckpoint';

/** The audit query's filters, as named in the API and in this view's URL. */
const filterNames = ['actor', 'subject', 'projectId', 'type', 'from', 'to'] as const;
type FilterName = (typeof filterNames)[number];
const instantFilters: ReadonlySet<FilterName> = new Set(['from', 'to']);
const filterLabels: Record<FilterName, string> = {
  actor: 'Actor',
  subject: 'Subject (user)',
  projectId: 'Project',
  type: 'Action or prefix',
  from: 'From (your local time)',
  to: 'To (your local time)',
};

export interface AuditEntry {
  id: string;
  sequence: number;
  kind: 'change' | 'denial' | string;
  time: string;
  actor: string;
  action: string;
  target: { userId?: string; projectId?: string; setting?: string };
  before?: unknown;
  after?: unknown;
  reason: string | null;
  denial?: { permission?: string; rule?: string; message?: string; suppressedBefore?: number };
}

interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

export interface AuditVerification {
  valid: boolean;
  entries: number;
  head: string | null;
  checkpoints: number;
  signedThrough: number;
  break?: { sequence: number; entryId: string | null; record: string; reason: string };
  unsignedTail: { entries: number; since: string | null; beyondBound?: string };
  checkpoint?: SignedCheckpoint | null;
  sources: { compared: number; different: number; missing: number; extra: number; mismatches: { reason: string }[] };
}

type Entries =
  | { state: 'loading' }
  | { state: 'done'; entries: AuditEntry[]; nextCursor: string | null; more: 'idle' | 'loading' | string }
  | { state: 'refused'; message: string; status: number };

const refusalOf = (error: unknown) => ({
  status: error instanceof ApiRefusal ? error.status : 0,
  message: error instanceof Error ? error.message : String(error),
});

/** The API query of the view's URL: the filters (and page size) only, never a cursor or a format. */
function selectionOf(params: URLSearchParams): URLSearchParams {
  const selection = new URLSearchParams();
  for (const name of filterNames) {
    const value = params.get(name);
    if (value) selection.set(name, value);
  }
  return selection;
}

function targetInWords(target: AuditEntry['target']): string {
  const parts: string[] = [];
  if (target.userId) parts.push(`user ${target.userId}`);
  if (target.projectId) parts.push(`project ${target.projectId}`);
  if (target.setting) parts.push(`setting ${target.setting}`);
  return parts.join(', ') || 'the team';
}

function changeInWords(entry: AuditEntry): string {
  if (entry.kind === 'denial') {
    const denial = entry.denial ?? {};
    const refusedBy = denial.permission
      ? `needs ${denial.permission}`
      : denial.rule
        ? `rule ${denial.rule}`
        : 'refused';
    const suppressed = denial.suppressedBefore ? ` (${denial.suppressedBefore} earlier attempts not listed)` : '';
    return `refused: ${refusedBy}${denial.message ? ` — ${denial.message}` : ''}${suppressed}`;
  }
  const show = (value: unknown) => (value === null || value === undefined ? 'none' : JSON.stringify(value));
  return `${show(entry.before)} → ${show(entry.after)}`;
}

/** The audit filters as a form; submitting puts them in the URL, which is what the view shows. */
function AuditFilterForm({ params, onApply }: { params: URLSearchParams; onApply: (next: URLSearchParams) => void }) {
  const [values, setValues] = useState<Record<FilterName, string>>(() => {
    const initial = Object.fromEntries(filterNames.map((name) => [name, ''])) as Record<FilterName, string>;
    for (const name of filterNames) {
      const value = params.get(name) ?? '';
      initial[name] = instantFilters.has(name) ? toLocalInput(value) : value;
    }
    return initial;
  });
  const [limit, setLimit] = useState(params.get('limit') ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of filterNames) {
      const value = values[name].trim();
      if (value === '') continue;
      if (instantFilters.has(name)) {
        const instant = new Date(value);
        if (Number.isNaN(instant.getTime())) {
          setProblem(`${filterLabels[name]} is not a valid date and time.`);
          return;
        }
        next.set(name, instant.toISOString());
      } else next.set(name, value);
    }
    if (limit.trim() !== '') next.set('limit', limit.trim());
    setProblem(null);
    onApply(next);
  };
  return (
    <form onSubmit={submit} className="audit-filters" aria-label="Audit filters">
      {filterNames.map((name) => (
        <div key={name}>
          <label htmlFor={`audit-${name}`}>{filterLabels[name]}</label>
          <input
            id={`audit-${name}`}
            name={name}
            {...(instantFilters.has(name) ? { type: 'datetime-local', step: '0.001' } : { type: 'text' })}
            value={values[name]}
            onChange={(event) => setValues({ ...values, [name]: event.target.value })}
          />
        </div>
      ))}
      <div>
        <label htmlFor="audit-limit">Entries per page</label>
        <input
          id="audit-limit"
          name="limit"
          type="number"
          min={1}
          max={1000}
          placeholder="100"
          value={limit}
          onChange={(event) => setLimit(event.target.value)}
        />
      </div>
      {problem && (
        <p role="alert" className="refusal">
          {problem}
        </p>
      )}
      <button type="submit">Show entries</button>
    </form>
  );
}

/** The chain's verification: valid or where it breaks, the entries, the signed head and the unsigned tail. */
function Verification({ teamId }: { teamId: string }) {
  const verification = useApi<AuditVerification>(`/v1/teams/${segment(teamId)}/audit/verify`);
  const [keyId, setKeyId] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    fetch('/v1/audit/public-key').then(
      (response) => current && response.ok && setKeyId(response.headers.get('X-Key-Id')),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, []);
  if (verification.state === 'loading') return <p>Verifying the chain…</p>;
  if (verification.state === 'refused') return <Refusal message={verification.message} status={verification.status} />;
  const result = verification.value;
  return (
    <section className="verification" aria-labelledby="verification-title">
      <h2 id="verification-title">Chain verification</h2>
      <p className={result.valid ? 'verdict valid' : 'verdict broken'} data-testid="verdict">
        {result.valid
          ? `Valid: the chain of ${result.entries} entries holds, every change entry matches its source event.`
          : result.break
            ? `Broken at entry ${result.break.sequence} (${result.break.record}): ${result.break.reason}`
            : 'Not valid: see the differences and the unsigned tail below.'}
      </p>
      <dl className="settings">
        <div>
          <dt>Entries verified</dt>
          <dd data-field="entries">{result.entries}</dd>
        </div>
        <div>
          <dt>Head (hash of the last verified entry)</dt>
          <dd data-field="head">{result.head ?? 'none (empty log)'}</dd>
        </div>
        <div>
          <dt>Signed head: a verified checkpoint vouches through entry</dt>
          <dd data-field="signedThrough">{result.signedThrough}</dd>
        </div>
        <div>
          <dt>Signed checkpoints verified</dt>
          <dd data-field="checkpoints">{result.checkpoints}</dd>
        </div>
        <div>
          <dt>Signing key id (of the service's public key)</dt>
          <dd data-field="keyId">{keyId ?? 'unknown'}</dd>
        </div>
        <div>
          <dt>Unsigned tail</dt>
          <dd data-field="unsignedTail">
            {result.unsignedTail.entries} {result.unsignedTail.entries === 1 ? 'entry' : 'entries'}
            {result.unsignedTail.since ? ` since ${result.unsignedTail.since}` : ''}
            {result.unsignedTail.beyondBound ? ` — beyond its bound: ${result.unsignedTail.beyondBound}` : ''}
          </dd>
        </div>
        <div>
          <dt>Entries against their source events</dt>
          <dd data-field="sources">
            {result.sources.compared} compared, {result.sources.different} different, {result.sources.missing} missing,{' '}
            {result.sources.extra} extra
          </dd>
        </div>
      </dl>
      <SignedHead checkpoint={result.checkpoint} />
      {result.sources.mismatches.length > 0 && (
        <ul className="findings">
          {result.sources.mismatches.map((mismatch, index) => (
            <li key={index}>{mismatch.reason}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The team's audit log: filters in the URL, cursor pages ("Load more"), CSV/NDJSON downloads, the chain's verification. */
export function AuditView() {
  const teamId = useParams().teamId!;
  const [params, setParams] = useSearchParams();
  const selection = selectionOf(params);
  const limit = params.get('limit');
  const pageQuery = new URLSearchParams(selection);
  if (limit) pageQuery.set('limit', limit);
  const base = `/v1/teams/${segment(teamId)}/audit`;
  const pagePath = `${base}?${pageQuery.toString()}`;
  const [entries, setEntries] = useState<Entries>({ state: 'loading' });
  const [downloadProblem, setDownloadProblem] = useState<{ message: string; status: number } | null>(null);

  useEffect(() => {
    let current = true;
    setEntries({ state: 'loading' });
    getJson<AuditPage>(pagePath).then(
      (page) => current && setEntries({ state: 'done', ...page, more: 'idle' }),
      (error: unknown) => current && setEntries({ state: 'refused', ...refusalOf(error) }),
    );
    return () => {
      current = false;
    };
  }, [pagePath]);

  const loadMore = () => {
    if (entries.state !== 'done' || entries.nextCursor === null) return;
    const shown = entries;
    setEntries({ ...shown, more: 'loading' });
    const next = new URLSearchParams(pageQuery);
    next.set('cursor', shown.nextCursor!);
    getJson<AuditPage>(`${base}?${next.toString()}`).then(
      (page) =>
        setEntries((now) =>
          // A page of an earlier selection never lands in a newer one.
          now.state === 'done' && now.nextCursor === shown.nextCursor
            ? { state: 'done', entries: [...now.entries, ...page.entries], nextCursor: page.nextCursor, more: 'idle' }
            : now,
        ),
      (error: unknown) =>
        setEntries((now) => (now.state === 'done' ? { ...now, more: refusalOf(error).message } : now)),
    );
  };

  const download = (format: 'csv' | 'ndjson') => {
    const query = new URLSearchParams(selection);
    query.set('format', format);
    setDownloadProblem(null);
    downloadWithToken(`${base}?${query.toString()}`, `audit-${teamId}.${format}`).catch((error: unknown) =>
      setDownloadProblem(refusalOf(error)),
    );
  };

  const filtered = [...selection.keys()];
  return (
    <>
      <h1>Audit log of team {teamId}</h1>
      <p>
        {filtered.length === 0
          ? 'Every entry, oldest first.'
          : `Entries where ${filtered.map((name) => `${name} is ${selection.get(name)}`).join(' and ')}, oldest first.`}{' '}
        <Link to={`/teams/${segment(teamId)}`}>Back to team {teamId}</Link>
      </p>
      <AuditFilterForm key={params.toString()} params={params} onApply={(next) => setParams(next)} />

      <p className="inline">
        <span>Download this selection:</span>
        <button type="button" onClick={() => download('csv')}>
          Download CSV
        </button>
        <button type="button" onClick={() => download('ndjson')}>
          Download NDJSON
        </button>
      </p>
      {downloadProblem && <Refusal message={downloadProblem.message} status={downloadProblem.status} />}

      {entries.state === 'loading' && <p>Loading entries…</p>}
      {entries.state === 'refused' && <Refusal message={entries.message} status={entries.status} />}
      {entries.state === 'done' &&
        (entries.entries.length === 0 ? (
          <p className="answer">No entry matches.</p>
        ) : (
          <table className="audit-entries">
            <caption>
              {entries.entries.length} {entries.entries.length === 1 ? 'entry' : 'entries'} shown
              {entries.nextCursor === null ? ' (all of them)' : ' (more to load)'}
            </caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Change</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {entries.entries.map((entry) => (
                <tr key={entry.id} data-entry-id={entry.id}>
                  <td>{entry.sequence}</td>
                  <td>
                    <time dateTime={entry.time}>{entry.time}</time>
                  </td>
                  <td>{entry.actor}</td>
                  <td>{entry.action}</td>
                  <td>{targetInWords(entry.target)}</td>
                  <td>{changeInWords(entry)}</td>
                  <td>{entry.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {entries.state === 'done' && entries.nextCursor !== null && (
        <p>
          <button type="button" onClick={loadMore} disabled={entries.more === 'loading'}>
            {entries.more === 'loading' ? 'Loading…' : 'Load more'}
          </button>
        </p>
      )}
      {entries.state === 'done' && entries.more !== 'idle' && entries.more !== 'loading' && (
        <Refusal message={entries.more} status={0} />
      )}

      <Verification teamId={teamId} />
    </>
  );
}
