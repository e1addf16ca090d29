// The run page's "Review deployments" panel (GET/POST /api/v1/runs/{id}/approvals): each
// environment the run's jobs wait for, with its waiting jobs, reviewers and wait timers, a
// comment and Approve/Reject; then who decided what. docs/server.md "Environments and approvals".
import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../api';
import { ErrorBox, RelativeTime } from '../components';
import { mayReview, type PendingEnvironment, type RunApprovals } from '../lib/environments';
import { currentUser } from '../session';

function At({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={iso}>
      {new Date(iso).toLocaleString()}
    </time>
  );
}

function Pending({ runId, env, onDecided }: { runId: number; env: PendingEnvironment; onDecided: () => void }) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const user = currentUser.value;
  const review = env.jobs.some((j) => j.state === 'waiting_for_review');
  const slug = env.environment.replace(/[^A-Za-z0-9_-]/g, '_');

  async function decide(approve: boolean) {
    setBusy(true);
    setError(null);
    try {
      await api.post(`/api/v1/runs/${enc(String(runId))}/approvals`, { environment: env.environment, approve, comment });
      setComment('');
      onDecided();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="pending-env" role="group" aria-labelledby={`pending-${slug}`} data-environment={env.environment}>
      <h3 id={`pending-${slug}`} class="mono">
        {env.environment}
      </h3>
      <ul class="plain-list pending-jobs">
        {env.jobs.map((j) => (
          <li key={j.id}>
            <strong>{j.name}</strong>{' '}
            {j.state === 'wait_timer' ? (
              <span class="muted">
                waits for its timer
                {j.wait_timer_ends_at && (
                  <>
                    {' '}
                    until <At iso={j.wait_timer_ends_at} />
                  </>
                )}
              </span>
            ) : (
              <span class="muted">waits for a review</span>
            )}
          </li>
        ))}
      </ul>
      {review && (
        <>
          <p class="small">
            {env.reviewers.length ? (
              <>Reviewers: {env.reviewers.join(', ')}. Any one of them (or an admin) decides.</>
            ) : (
              <>No reviewers: an admin decides.</>
            )}
            {env.wait_timer > 0 && <> After approval the job waits {Math.round(env.wait_timer / 60)} min.</>}
            {!mayReview(env.reviewers, user?.username, user?.is_admin) && <> You are not a reviewer.</>}
          </p>
          <div class="field">
            <label for={`review-comment-${slug}`}>Comment on {env.environment}</label>
            <textarea
              id={`review-comment-${slug}`}
              rows={2}
              maxLength={4096}
              value={comment}
              onInput={(e) => setComment(e.currentTarget.value)}
            />
          </div>
          <div class="row">
            <button type="button" class="primary" disabled={busy} onClick={() => decide(true)} aria-label={`Approve and deploy ${env.environment}`}>
              Approve and deploy
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => decide(false)} aria-label={`Reject ${env.environment}`}>
              Reject
            </button>
          </div>
          <ErrorBox error={error} />
        </>
      )}
    </div>
  );
}

/** The panel, fetched again whenever `watch` changes (the run's and its jobs' statuses, which
 * the run page keeps live). `onDecided` refreshes the run after a decision. */
export function Approvals({ runId, watch, onDecided }: { runId: number; watch: string; onDecided: () => void }) {
  const [data, setData] = useState<RunApprovals | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [gen, setGen] = useState(0);
  useEffect(() => {
    let stale = false;
    api
      .get<RunApprovals>(`/api/v1/runs/${enc(String(runId))}/approvals`)
      .then((d) => {
        if (stale) return;
        setData(d);
        setError(null);
      })
      .catch((e) => !stale && setError(e));
    return () => {
      stale = true;
    };
  }, [runId, watch, gen]);

  if (error) return <ErrorBox error={error} />;
  if (!data || (data.pending.length === 0 && data.approvals.length === 0)) return null;
  return (
    <>
      {data.pending.length > 0 && (
        <section aria-labelledby="review-h" class="card review-panel" data-testid="review-panel">
          <h2 id="review-h">{data.pending.some((p) => p.jobs.some((j) => j.state === 'waiting_for_review')) ? 'Review deployments' : 'Waiting deployments'}</h2>
          {data.pending.map((env) => (
            <Pending
              key={env.environment}
              runId={runId}
              env={env}
              onDecided={() => {
                setGen((g) => g + 1);
                onDecided();
              }}
            />
          ))}
        </section>
      )}
      {data.approvals.length > 0 && (
        <section aria-labelledby="approvals-h" class="approvals" data-testid="approvals-history">
          <h2 id="approvals-h">Reviews</h2>
          <ul class="list">
            {data.approvals.map((a, i) => (
              <li key={i} data-approve={String(a.approve)}>
                <span class={a.approve ? 'status status-success' : 'status status-failure'} aria-hidden="true">
                  {a.approve ? '✓' : '✗'}
                </span>
                <span>
                  <strong>{a.user}</strong> {a.approve ? 'approved' : 'rejected'} <span class="mono">{a.environment}</span>
                  {a.comment && <span class="review-comment">: {a.comment}</span>}
                </span>
                <RelativeTime iso={a.created_at} />
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
