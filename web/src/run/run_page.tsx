// A run: its header and actions, then tabs (?tab=): Summary (the job graph, each job's steps,
// annotations, step summaries and artifacts; live over the run's event stream until the run
// completes) and, when the run has them, its Tests, Coverage and Security reports and the pull
// request comment's preview (run/reports.tsx).
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, ApiError, enc, projectPath, type Annotation, type Artifact } from '../api';
import { Duration, ErrorBox, Loading, Page, RelativeTime, StatusIcon, stateOf } from '../components';
import { Markdown } from '../lib/markdown_view';
import {
  canWrite,
  formatBytes,
  jobUrl,
  orderedSteps,
  sameStep,
  stepAnchor,
  stepName,
  type JobDetail,
  type JobX,
  type RunX,
  type StepX,
} from '../lib/run_types';
import { subscribe } from '../lib/sse';
import { pickTab, runTabs, type RunReports, type RunTab } from '../lib/reports';
import { Approvals } from './approvals';
import { JobGraph, graphGroups } from './job_graph';
import { CommentView, CoverageView, SecurityView, TestsView } from './reports';
import './run.css';

const tabNames: Record<RunTab, string> = {
  summary: 'Summary',
  tests: 'Tests',
  coverage: 'Coverage',
  security: 'Security',
  comment: 'PR comment',
};

const LEVEL_ICON: Record<string, string> = { error: '✗', failure: '✗', warning: '⚠', notice: 'ℹ' };


export function RunPage() {
  const { params, query } = useRoute();
  const { route } = useLocation();
  const owner = params.owner,
    name = params.name,
    id = params.id;
  const wantAttempt = query.attempt ? parseInt(query.attempt, 10) : undefined;
  const [run, setRun] = useState<RunX | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState('');
  const [role, setRole] = useState<string | undefined>(undefined);
  const [details, setDetails] = useState<Record<number, JobDetail>>({});
  const [artifacts, setArtifacts] = useState<Artifact[] | null>(null);
  const [reload, setReload] = useState(0);
  // undefined: loading; null: none (or a server without the reports API)
  const [reports, setReports] = useState<RunReports | null | undefined>(undefined);
  const runRef = useRef<RunX | null>(null);
  runRef.current = run;

  const runUrl = `/api/v1/runs/${enc(id)}` + (wantAttempt ? `?attempt=${wantAttempt}` : '');
  const base = `/${enc(owner)}/${enc(name)}/runs/${enc(id)}`;

  const fetchRun = useCallback(async () => {
    try {
      const r = await api.get<RunX>(runUrl);
      setRun(r);
      setError(null);
      return r;
    } catch (e) {
      setError(e);
      return null;
    }
  }, [runUrl]);

  const fetchArtifacts = useCallback(async () => {
    try {
      const a = await api.get<{ artifacts: Artifact[] }>(`/api/v1/runs/${enc(id)}/artifacts`);
      setArtifacts(a.artifacts ?? []);
    } catch {
      setArtifacts([]);
    }
  }, [id]);

  const reportsUrl = `/api/v1/runs/${enc(id)}/reports` + (wantAttempt ? `?attempt=${wantAttempt}` : '');
  const fetchReports = useCallback(async () => {
    try {
      setReports(await api.get<RunReports>(reportsUrl));
    } catch {
      // reports are extra: without them the run page is the Summary alone
      setReports(null);
    }
  }, [reportsUrl]);

  // the details (summary, annotations) of jobs, fetched once per job state
  const fetchedFor = useRef<Record<number, string>>({});
  const detailQueue = useRef<number[]>([]);
  const detailActive = useRef(0);
  const pumpDetails = useCallback(() => {
    // a few at a time: a big matrix must not fire hundreds of requests at once
    while (detailActive.current < 4 && detailQueue.current.length) {
      const jobId = detailQueue.current.shift()!;
      detailActive.current++;
      api
        .get<JobDetail>(`/api/v1/jobs/${jobId}`)
        .then((d) => setDetails((old) => ({ ...old, [jobId]: d })))
        .catch(() => {})
        .finally(() => {
          detailActive.current--;
          pumpDetails();
        });
    }
  }, []);
  const fetchDetails = useCallback((jobs: JobX[]) => {
    for (const j of jobs) {
      const key = j.status + ':' + (j.conclusion ?? '');
      if (fetchedFor.current[j.id] === key) continue;
      if (j.status !== 'completed' && fetchedFor.current[j.id] !== undefined) continue;
      fetchedFor.current[j.id] = key;
      if (!detailQueue.current.includes(j.id)) detailQueue.current.push(j.id);
    }
    pumpDetails();
  }, []);

  // load: the run, the project's role (for the buttons), the artifacts
  useEffect(() => {
    setRun(null);
    setDetails({});
    fetchedFor.current = {};
    detailQueue.current = [];
    setReports(undefined);
    fetchRun();
    fetchArtifacts();
    fetchReports();
  }, [runUrl, reload]);
  useEffect(() => {
    api
      .get<{ role?: string }>(projectPath(owner, name))
      .then((p) => setRole(p.role))
      .catch(() => setRole(undefined));
  }, [owner, name]);
  useEffect(() => {
    if (run?.jobs) fetchDetails(run.jobs);
  }, [run]);

  // live: the run's events; a throttled refetch when jobs appear, start or end
  const isLatest = !wantAttempt || (run !== null && wantAttempt === run.attempt);
  const live = run !== null && run.status !== 'completed' && isLatest;
  useEffect(() => {
    if (!live) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const refetch = () => {
      if (timer) return;
      const wait = Math.max(0, last + 1500 - Date.now());
      timer = setTimeout(async () => {
        timer = undefined;
        last = Date.now();
        await fetchRun();
      }, wait);
    };
    const close = subscribe(
      () => `/api/v1/runs/${enc(id)}/events`,
      {
        run: (data) => {
          const ev = JSON.parse(data);
          const cur = runRef.current;
          if (cur && ev.attempt !== undefined && ev.attempt !== cur.attempt) return refetch();
          setRun((r) => (r ? { ...r, status: ev.status, conclusion: ev.conclusion } : r));
        },
        job: (data) => {
          const ev = JSON.parse(data);
          const cur = runRef.current;
          const known = cur?.jobs?.find((j) => j.id === ev.id);
          if (!known || known.status !== ev.status) refetch();
          setRun((r) =>
            r && r.jobs
              ? {
                  ...r,
                  jobs: r.jobs.map((j) =>
                    j.id === ev.id
                      ? { ...j, status: ev.status, conclusion: ev.conclusion, started_at: ev.started_at, completed_at: ev.completed_at }
                      : j,
                  ),
                }
              : r,
          );
        },
        step: (data) => {
          const ev = JSON.parse(data) as StepX & { job_id: number };
          setRun((r) => {
            if (!r || !r.jobs) return r;
            return {
              ...r,
              jobs: r.jobs.map((j) => {
                if (j.id !== ev.job_id) return j;
                const { job_id: _omit, ...step } = ev;
                void _omit;
                const steps = j.steps.some((s) => sameStep(s, step)) ? j.steps.map((s) => (sameStep(s, step) ? { ...s, ...step } : s)) : [...j.steps, step];
                return { ...j, steps };
              }),
            };
          });
        },
        end: () => {
          close();
          fetchRun();
          fetchArtifacts();
          fetchReports();
        },
      },
    );
    return () => {
      clearTimeout(timer);
      close();
    };
  }, [live, id]);

  // the run completed (seen in an event): the final jobs, details and artifacts
  const prevStatus = useRef<string | undefined>(undefined);
  useEffect(() => {
    const st = run?.status;
    if (prevStatus.current && prevStatus.current !== 'completed' && st === 'completed') {
      fetchRun();
      fetchArtifacts();
      fetchReports();
    }
    prevStatus.current = st;
  }, [run?.status]);

  // a job's reports arrive as it ends: fetch them again when another job completes
  const completedJobs = (run?.jobs ?? []).filter((j) => j.status === 'completed').length;
  const seenCompleted = useRef(-1);
  useEffect(() => {
    if (!run) return;
    if (seenCompleted.current >= 0 && completedJobs > seenCompleted.current && run.status !== 'completed') fetchReports();
    seenCompleted.current = completedJobs;
  }, [completedJobs, run === null]);

  const act = async (what: string, path: string, body?: unknown) => {
    setBusy(what);
    setActionError(null);
    try {
      const res = await api.post<{ id: number; attempt?: number }>(path, body);
      if (res && res.attempt) {
        if (wantAttempt) route(base);
        else setReload((x) => x + 1);
      } else await fetchRun();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy('');
    }
  };

  const jobs = run?.jobs ?? [];
  const groups = useMemo(() => graphGroups(jobs, run?.graph), [run]);
  const annotations = useMemo(() => {
    const out: Array<{ job: JobX; a: Annotation }> = [];
    for (const j of jobs) for (const a of details[j.id]?.annotations ?? []) out.push({ job: j, a });
    return out;
  }, [run, details]);
  const summaries = jobs.filter((j) => details[j.id]?.summary?.trim());
  // the review panel is fetched again when the run's or a job's status changes
  const approvalsWatch = (run?.status ?? '') + '|' + jobs.map((j) => `${j.id}:${j.status}`).join(',');

  if (error && !run) {
    const notFound = error instanceof ApiError && error.status === 404;
    return (
      <Page title="Run">
        <h1>Run</h1>
        {notFound ? <p class="error">There is no such run, or you cannot see it.</p> : <ErrorBox error={error} />}
      </Page>
    );
  }
  if (!run) {
    return (
      <Page title="Run">
        <p class="muted" aria-busy="true">
          Loading the run…
        </p>
      </Page>
    );
  }

  // with ?attempt=N the server answers that attempt's status, conclusion and times
  const state = stateOf(run.status, run.conclusion);
  const anyFailed = jobs.some((j) => j.conclusion === 'failure' || j.conclusion === 'cancelled');
  const writer = canWrite(role);
  const shortSha = (run.head_sha ?? '').slice(0, 7);
  const title = run.display_title || run.name || `Run ${run.run_number}`;
  const tabs = runTabs(reports ?? null, run.event === 'pull_request' || run.event === 'pull_request_target' || !!run.pull_request);
  const tab = pickTab(query.tab, tabs);
  const tabHref = (t: RunTab) => {
    const q = new URLSearchParams();
    if (wantAttempt) q.set('attempt', String(wantAttempt));
    if (t !== 'summary') q.set('tab', t);
    const qs = q.toString();
    return base + (qs ? '?' + qs : '');
  };

  return (
    <Page title={`${title} · ${owner}/${name}`}>
      <nav class="crumbs" aria-label="Breadcrumbs">
        <a href={`/${enc(owner)}/${enc(name)}`}>
          {owner}/{name}
        </a>
        <span aria-hidden="true"> / </span>
        <span>{run.name || run.workflow}</span>
      </nav>
      <div class="run-head">
        <div class="run-title">
          <span class="run-status" data-testid="run-status" data-state={state}>
            <StatusIcon status="completed" conclusion={state} />
          </span>
          <h1>
            {title} <span class="muted run-number">#{run.run_number}</span>
          </h1>
        </div>
        <div class="run-actions">
          {run.attempt > 1 && (
            <label class="attempt">
              <span class="visually-hidden">Attempt</span>
              <select
                aria-label="Attempt"
                value={String(wantAttempt ?? run.attempt)}
                onChange={(e) => {
                  const n = parseInt((e.target as HTMLSelectElement).value, 10);
                  const q = new URLSearchParams();
                  if (n !== run.attempt) q.set('attempt', String(n));
                  if (query.tab) q.set('tab', query.tab);
                  route(base + (q.toString() ? '?' + q.toString() : ''));
                }}
              >
                {Array.from({ length: run.attempt }, (_, i) => run.attempt - i).map((n) => (
                  <option key={n} value={String(n)}>
                    Attempt #{n}
                    {n === run.attempt ? ' (latest)' : ''}
                  </option>
                ))}
              </select>
            </label>
          )}
          {writer && isLatest && run.status !== 'completed' && (
            <button type="button" class="danger" disabled={!!busy} onClick={() => act('cancel', `/api/v1/runs/${enc(id)}/cancel`)}>
              Cancel run
            </button>
          )}
          {writer && isLatest && run.status === 'completed' && (run.conclusion === 'failure' || run.conclusion === 'cancelled' || anyFailed) && (
            <button
              type="button"
              disabled={!!busy}
              onClick={() => act('failed', `/api/v1/runs/${enc(id)}/rerun`, { failed_only: true })}
            >
              Re-run failed jobs
            </button>
          )}
          {writer && isLatest && run.status === 'completed' && (
            <button
              type="button"
              class="primary"
              disabled={!!busy}
              onClick={() => act('all', `/api/v1/runs/${enc(id)}/rerun`, { failed_only: false })}
            >
              Re-run all jobs
            </button>
          )}
        </div>
      </div>
      <p class="run-meta">
        <span>
          {run.name || run.workflow} <span class="muted">#{run.run_number}</span>
        </span>
        <span>{run.event}</span>
        {run.head_branch && <span class="mono branch">{run.head_branch}</span>}
        {shortSha && (
          <span class="mono" title={run.head_sha}>
            {shortSha}
          </span>
        )}
        {run.actor && <span>by {run.actor}</span>}
        <RelativeTime iso={run.created_at} />
        {run.started_at && (
          <span>
            took <Duration start={run.started_at} end={run.status === 'completed' ? run.completed_at ?? run.started_at : null} />
          </span>
        )}
        {!isLatest && <span class="badge">attempt #{wantAttempt} of {run.attempt}</span>}
      </p>
      <ErrorBox error={actionError} />
      {run.error && <p class="error run-error">{run.error}</p>}
      {isLatest && (run.status === 'waiting' || (run.waiting_for?.length ?? 0) > 0 || jobs.some((j) => j.environment)) && (
        <Approvals runId={run.id} watch={approvalsWatch} onDecided={fetchRun} />
      )}

      {tabs.length > 1 && (
        <nav class="tabs" aria-label="Run views" data-testid="run-tabs">
          {tabs.map((t) => (
            <a key={t} href={tabHref(t)} aria-current={t === tab ? 'page' : undefined} data-tab={t}>
              {tabNames[t]}
              {t === 'tests' && reports?.tests && reports.tests.failed > 0 && (
                <span class="tab-count bad" aria-label={`${reports.tests.failed} failed`}>
                  {reports.tests.failed}
                </span>
              )}
              {t === 'security' && reports?.security && reports.security.total > 0 && (
                <span class="tab-count" aria-label={`${reports.security.total} findings`}>
                  {reports.security.total}
                </span>
              )}
            </a>
          ))}
        </nav>
      )}

      {tab === 'summary' && reports === undefined && query.tab && query.tab !== 'summary' && <Loading what="the reports" />}
      {tab === 'tests' && reports?.tests && <TestsView tests={reports.tests} />}
      {tab === 'coverage' && reports?.coverage && (
        <CoverageView coverage={reports.coverage} owner={owner} name={name} runId={run.id} branch={run.head_branch} />
      )}
      {tab === 'security' && reports?.security && (
        <SecurityView security={reports.security} owner={owner} name={name} branch={run.head_branch} />
      )}
      {tab === 'comment' && <CommentView runId={run.id} />}

      {tab === 'summary' && !(reports === undefined && query.tab && query.tab !== 'summary') && (
        <>
          <section aria-labelledby="graph-h">
            <h2 id="graph-h">Jobs</h2>
            <JobGraph groups={groups} owner={owner} name={name} runId={id} />
          </section>

          {jobs.length > 0 && (
            <section aria-labelledby="steps-h" class="job-steps-list">
              <h2 id="steps-h">Steps</h2>
              {[...jobs]
                .sort((a, b) => a.id - b.id)
                .map((j) => (
                  <JobSteps key={j.id} job={j} owner={owner} name={name} runId={id} />
                ))}
            </section>
          )}

          {annotations.length > 0 && (
            <section aria-labelledby="ann-h" data-testid="annotations" class="annotations">
              <h2 id="ann-h">Annotations</h2>
              <ul class="list">
                {annotations.map(({ job, a }, i) => {
                  const where = a.file ? `${a.file}${a.line ? ':' + a.line : ''}` : '';
                  const href = jobUrl(owner, name, id, job.id) + (a.step >= 0 ? `#step-${a.step + 1}` : '');
                  return (
                    <li key={i} class={`ann ann-${a.level}`} data-level={a.level}>
                      <span class="ann-icon" role="img" aria-label={a.level}>
                        {LEVEL_ICON[a.level] ?? '•'}
                      </span>
                      <div class="ann-body">
                        <div class="ann-title">
                          <strong>{a.title || job.name}</strong>
                          {a.title && <span class="muted"> · {job.name}</span>}
                        </div>
                        <div class="ann-message">{a.message}</div>
                        <a class="mono ann-where" href={href}>
                          {where || 'view the log'}
                        </a>
                      </div>
                    </li>
                  );
                })}
              </ul>
            </section>
          )}

          {summaries.length > 0 && (
            <section aria-labelledby="sum-h" data-testid="summary" class="summaries">
              <h2 id="sum-h">Summaries</h2>
              {summaries.map((j) => (
                <article key={j.id} class="summary card">
                  <h3 class="summary-job">
                    <a href={jobUrl(owner, name, id, j.id)}>{j.name}</a> summary
                  </h3>
                  <Markdown source={details[j.id]!.summary!} />
                </article>
              ))}
            </section>
          )}

          {artifacts && artifacts.length > 0 && (
            <section aria-labelledby="art-h" data-testid="artifacts" class="artifacts">
              <h2 id="art-h">Artifacts</h2>
              <ul class="list">
                {artifacts.map((a) => (
                  <li key={a.id}>
                    <a href={`/api/v1/artifacts/${a.id}/zip`} download={`${a.name}.zip`}>
                      {a.name}
                    </a>
                    <span class="muted">{formatBytes(a.size_in_bytes)}</span>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </Page>
  );
}

function JobSteps({ job, owner, name, runId }: { job: JobX; owner: string; name: string; runId: string }) {
  const failed = job.conclusion === 'failure';
  const url = jobUrl(owner, name, runId, job.id);
  const steps = orderedSteps(job.steps ?? []);
  return (
    <details class="job-steps" open={failed} data-job={job.id}>
      <summary>
        <StatusIcon status={job.status} conclusion={job.conclusion} />
        <span class="js-name">{job.name}</span>
        <Duration start={job.started_at} end={job.completed_at} />
        <a class="js-log" href={url}>
          View log
        </a>
      </summary>
      {job.error && <p class="error">{job.error}</p>}
      {job.waiting_reason && <p class="muted">{job.waiting_reason}</p>}
      {steps.length === 0 ? (
        <p class="empty">No steps yet.</p>
      ) : (
        <ol class="steps">
          {steps.map((s) => (
            <li key={(s.stage ?? '') + s.number}>
              <a href={`${url}#${stepAnchor(s)}`}>
                <StatusIcon status={s.status} conclusion={s.conclusion} />
                <span class="js-step">{stepName(s)}</span>
                <Duration start={s.started_at} end={s.completed_at} />
              </a>
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}
