// /:owner/:name: a project's workflows and runs, as GitHub's Actions tab shows them.
// Filters and the page cursor live in the query string, so links and reloads keep them; the
// runs are polled every 3 s while the tab is visible and updated in place (keyed rows).
import { useLocation, useRoute } from 'preact-iso';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, enc, hasRole, projectPath, type Project, type Run, type RunList, type Workflow } from '../api';
import { CopyButton, Duration, ErrorBox, Loading, Page, RelativeTime, StatusIcon, stateOf, useLoad } from '../components';
import { ProjectTabs } from './project_nav';
import { RunWorkflow, workflowKey } from './run_workflow';

const filterKeys = ['workflow', 'status', 'branch', 'event', 'actor'] as const;
type Filters = Partial<Record<(typeof filterKeys)[number] | 'before' | 'after' | 'limit', string>>;

const statusOptions: [string, string][] = [
  ['queued', 'Queued'],
  ['waiting', 'Waiting'],
  ['in_progress', 'In progress'],
  ['completed', 'Completed'],
  ['success', 'Success'],
  ['failure', 'Failure'],
  ['cancelled', 'Cancelled'],
  ['skipped', 'Skipped'],
];
const eventOptions = ['push', 'pull_request', 'workflow_dispatch', 'schedule'];

const POLL_MS = 3000;

/** "shop" of "alice/shop". */
const shortName = (p: Project) => p.name.slice(p.owner.length + 1);

/** The query string of `f` (keys in a fixed order, empty values left out), "" for none. */
function queryString(f: Filters): string {
  const q = new URLSearchParams();
  for (const k of [...filterKeys, 'limit', 'before', 'after'] as const) {
    const v = f[k];
    if (v) q.set(k, v);
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

const eventWords: Record<string, string> = {
  push: 'Commit pushed',
  pull_request: 'Pull request',
  workflow_dispatch: 'Manually run',
  schedule: 'Scheduled',
};

function RunRow({ run, base }: { run: Run; base: string }) {
  const state = stateOf(run.status, run.conclusion);
  const title = run.display_title || run.name || run.workflow;
  return (
    <li class="run-row" data-testid="run-row" data-run-id={run.id} data-state={state}>
      <StatusIcon status={run.status} conclusion={run.conclusion} />
      <div class="run-main">
        <a class="run-title" href={`${base}/runs/${run.id}`} aria-describedby={`run-${run.id}-meta`}>
          {title}
        </a>
        <div class="muted small" id={`run-${run.id}-meta`}>
          <span class="run-wf">{run.name || workflowKey(run.workflow)}</span> #{run.run_number}
          {run.attempt > 1 && <> (attempt {run.attempt})</>}:{' '}
          {run.event === 'push' && run.head_sha ? (
            <>
              Commit <span class="mono">{run.head_sha.slice(0, 7)}</span> pushed
            </>
          ) : run.pull_request ? (
            <>
              Pull request <span data-testid="run-pr">#{run.pull_request.number}</span>
            </>
          ) : (
            eventWords[run.event] ?? run.event
          )}
          {run.actor && <> by {run.actor}</>}
        </div>
      </div>
      <div class="run-branch">{run.head_branch && <span class="branch mono">{run.head_branch}</span>}</div>
      <div class="run-when small">
        <RelativeTime iso={run.created_at} />
        <Duration start={run.started_at} end={run.completed_at} />
      </div>
    </li>
  );
}

function announceChanges(before: Run[] | null, after: Run[]): string {
  if (!before) return '';
  const old = new Map(before.map((r) => [r.id, stateOf(r.status, r.conclusion)]));
  const words: string[] = [];
  for (const r of after) {
    const s = stateOf(r.status, r.conclusion);
    const was = old.get(r.id);
    const label = `${r.name || r.workflow} #${r.run_number}`;
    if (was === undefined) words.push(`${label} ${s.replace('_', ' ')}`);
    else if (was !== s) words.push(`${label} ${s.replace('_', ' ')}`);
  }
  return words.join('; ');
}

function RunsList({ project, filters, refresh }: { project: Project; filters: Filters; refresh: number }) {
  const base = `/${project.name}`;
  const qs = queryString(filters);
  const [runs, setRuns] = useState<Run[] | null>(null);
  // The cursors and count of the page loaded for `qs` (stale for a render after qs changed: not
  // used then).
  const [page, setPage] = useState<{ qs: string; next: number | null; prev: number | null; total: number | null }>({
    qs: '',
    next: null,
    prev: null,
    total: null,
  });
  const [error, setError] = useState<unknown>(null);
  const [pollError, setPollError] = useState<unknown>(null);
  const [said, setSaid] = useState('');
  const current = useRef<Run[] | null>(null);
  const reload = useRef<() => void>(() => {});

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    current.current = null;
    setRuns(null);
    setError(null);
    setPollError(null);
    setSaid('');
    const url = `${projectPath(project.owner, shortName(project))}/runs${qs}`;
    async function load(first: boolean) {
      if (inFlight) return;
      inFlight = true;
      try {
        const r = await api.get<RunList>(url);
        if (stopped) return;
        const text = announceChanges(current.current, r.runs);
        if (text) setSaid(text);
        current.current = r.runs;
        setRuns(r.runs);
        setPage({ qs, next: r.next ?? null, prev: r.prev ?? null, total: r.total_count ?? null });
        setError(null);
        setPollError(null);
      } catch (e) {
        if (stopped) return;
        if (first) setError(e);
        else setPollError(e);
      } finally {
        inFlight = false;
      }
    }
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        if (document.visibilityState === 'visible') await load(false);
        if (!stopped) schedule();
      }, POLL_MS);
    }
    function onVisible() {
      if (document.visibilityState === 'visible') {
        load(false);
        schedule();
      }
    }
    reload.current = () => {
      load(false);
      schedule();
    };
    load(true).then(() => !stopped && schedule());
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [project.name, qs]);
  useEffect(() => {
    if (refresh) reload.current();
  }, [refresh]);

  const paged = !!(filters.before || filters.after);
  const loaded = page.qs === qs;
  const older = loaded ? page.next : null;
  const newer = loaded ? page.prev : null;
  const filtered = filterKeys.some((k) => filters[k]);
  // A cursor replaces the other: a page is reached from one side only.
  const at = (cursor: Filters) => base + queryString({ ...filters, before: '', after: '', ...cursor });

  return (
    <>
      <p class="visually-hidden" role="status" aria-live="polite" data-testid="runs-live">
        {said}
      </p>
      <ErrorBox error={error} />
      {pollError != null && (
        <p class="muted small" role="status">
          Live updates paused: {pollError instanceof Error ? pollError.message : String(pollError)}. Retrying…
        </p>
      )}
      {!runs && !error && <Loading what="runs" />}
      {runs && loaded && page.total !== null && (
        <p class="muted small" data-testid="runs-count">
          {page.total === 1 ? '1 run' : `${page.total} runs`}
          {filtered ? (page.total === 1 ? ' matches the filters' : ' match the filters') : ''}
        </p>
      )}
      {runs && runs.length === 0 && (
        <p class="empty" data-testid="runs-empty">
          {filtered || paged ? (
            <>
              No runs match. <a href={base}>Clear the filters</a>
            </>
          ) : (
            <>No runs yet: push a commit with a workflow in .github/workflows/, or run a workflow by hand.</>
          )}
        </p>
      )}
      {runs && runs.length > 0 && (
        <ul class="list runs" data-testid="runs" aria-label="Runs">
          {runs.map((r) => (
            <RunRow key={r.id} run={r} base={base} />
          ))}
        </ul>
      )}
      {runs && (paged || older !== null) && (
        <nav class="pager" aria-label="Pages of runs">
          {newer !== null ? (
            <a class="button" href={at({ after: String(newer) })} rel="prev">
              Newer
            </a>
          ) : paged ? (
            <a class="button" href={at({})}>
              Newest
            </a>
          ) : (
            <span />
          )}
          {older !== null && (
            <a class="button" href={at({ before: String(older) })} rel="next">
              Older
            </a>
          )}
        </nav>
      )}
    </>
  );
}

function FilterBar({ filters, workflows, base }: { filters: Filters; workflows: Workflow[] | undefined; base: string }) {
  const { route } = useLocation();
  const [branch, setBranch] = useState(filters.branch ?? '');
  const [actor, setActor] = useState(filters.actor ?? '');
  useEffect(() => setBranch(filters.branch ?? ''), [filters.branch]);
  useEffect(() => setActor(filters.actor ?? ''), [filters.actor]);
  const go = (change: Filters) => route(base + queryString({ ...filters, ...change, before: '', after: '' }));
  const events = filters.event && !eventOptions.includes(filters.event) ? [...eventOptions, filters.event] : eventOptions;
  const any = filterKeys.some((k) => filters[k]);
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter runs"
      onSubmit={(e) => {
        e.preventDefault();
        go({ branch: branch.trim(), actor: actor.trim() });
      }}
    >
      <label>
        Workflow
        <select value={filters.workflow ?? ''} onChange={(e) => go({ workflow: e.currentTarget.value })}>
          <option value="">All workflows</option>
          {(workflows ?? []).map((w) => (
            <option key={w.id} value={workflowKey(w.path)}>
              {w.name || w.path}
            </option>
          ))}
          {filters.workflow && !(workflows ?? []).some((w) => workflowKey(w.path) === filters.workflow) && (
            <option value={filters.workflow}>{filters.workflow}</option>
          )}
        </select>
      </label>
      <label>
        Status
        <select value={filters.status ?? ''} onChange={(e) => go({ status: e.currentTarget.value })}>
          <option value="">Any status</option>
          {statusOptions.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <label>
        Event
        <select value={filters.event ?? ''} onChange={(e) => go({ event: e.currentTarget.value })}>
          <option value="">Any event</option>
          {events.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <label>
        Branch
        <input value={branch} spellcheck={false} placeholder="any" size={12} onInput={(e) => setBranch(e.currentTarget.value)} />
      </label>
      <label>
        Actor
        <input value={actor} spellcheck={false} placeholder="anyone" size={10} onInput={(e) => setActor(e.currentTarget.value)} />
      </label>
      <div class="filter-buttons">
        <button type="submit">Filter</button>
        {any && (
          <a class="button" href={base}>
            Clear
          </a>
        )}
      </div>
    </form>
  );
}

function Badge({ project, workflow }: { project: Project; workflow: Workflow }) {
  const [broken, setBroken] = useState(false);
  if (broken) return null;
  const key = workflowKey(workflow.path);
  return (
    <img
      class="badge"
      src={`${projectPath(project.owner, shortName(project))}/badge.svg?workflow=${enc(key)}`}
      alt={`${workflow.name || key} status`}
      height={20}
      loading="lazy"
      onError={() => setBroken(true)}
    />
  );
}

/** "Copy badge Markdown" for a README: the badge's absolute URL on the server's external URL
 * (the webhook URL's origin and path prefix), linking to the workflow's runs here. */
function BadgeMarkdown({ project, workflow }: { project: Project; workflow: Workflow }) {
  const at = project.webhook_url.indexOf('/api/v1/hooks/');
  const server = at >= 0 ? project.webhook_url.slice(0, at) : location.origin;
  const key = workflowKey(workflow.path);
  const img = `${server}${projectPath(project.owner, shortName(project))}/badge.svg?workflow=${enc(key)}`;
  const link = `${server}/${project.name}?workflow=${enc(key)}`;
  const label = (workflow.name || key).replace(/[[\]]/g, '');
  return <CopyButton text={`[![${label}](${img})](${link})`} label="Copy badge Markdown" />;
}

export function ProjectPage() {
  const { params } = useRoute();
  const { query } = useLocation();
  const owner = params.owner;
  const name = params.name;
  const full = `${owner}/${name}`;
  const base = `/${full}`;
  const [project, error] = useLoad(() => api.get<Project>(projectPath(owner, name)), [full]);
  const [workflows, wfError] = useLoad(
    () => api.get<{ workflows: Workflow[] }>(`${projectPath(owner, name)}/workflows`).then((r) => r.workflows),
    [full],
  );
  const [bump, setBump] = useState(0);

  const filters: Filters = {};
  for (const k of [...filterKeys, 'before', 'after', 'limit'] as const) if (query[k]) filters[k] = query[k];
  const selected = filters.workflow ? workflows?.find((w) => workflowKey(w.path) === filters.workflow) : undefined;
  const active = (workflows ?? []).filter((w) => w.state === 'active');
  const deleted = (workflows ?? []).filter((w) => w.state !== 'active');

  if (error) {
    return (
      <Page title={full}>
        <h1>{full}</h1>
        <ErrorBox error={error} />
        <p>
          <a href="/">Go to your projects</a>
        </p>
      </Page>
    );
  }
  if (!project) {
    return (
      <Page title={full}>
        <h1>{full}</h1>
        <Loading what="the project" />
      </Page>
    );
  }

  const wfLink = (w: Workflow) => {
    const key = workflowKey(w.path);
    const current = filters.workflow === key;
    return (
      <li key={w.id} class={current ? 'current' : ''}>
        <a href={base + queryString({ workflow: key })} aria-current={current ? 'page' : undefined} title={w.path}>
          {w.name || key}
        </a>
        {w.state !== 'active' && <span class="muted small">{w.state}: {w.path}</span>}
        <Badge project={project} workflow={w} />
      </li>
    );
  };

  return (
    <Page title={full}>
      <div class="page-head project-head">
        <div>
          <h1>
            <span class="muted">{project.owner} /</span> {name}
          </h1>
          <p class="muted small meta">
            <span class="mono">{project.repository}</span>
            <span>
              default branch <span class="branch mono">{project.default_branch}</span>
            </span>
            {project.role && <span>your role: {project.role}</span>}
          </p>
        </div>
        {hasRole(project, 'maintainer') && (
          <a class="button" href={`${base}/settings`}>
            Settings
          </a>
        )}
      </div>
      <ProjectTabs owner={owner} name={name} current="runs" />
      <div class="project-layout">
        <nav class="workflows" aria-labelledby="wf-title">
          <h2 id="wf-title">Workflows</h2>
          <ErrorBox error={wfError} />
          {!workflows && !wfError && <Loading />}
          {workflows && (
            <ul data-testid="workflows">
              <li class={!filters.workflow ? 'current' : ''}>
                <a href={base} aria-current={!filters.workflow ? 'page' : undefined}>
                  All workflows
                </a>
              </li>
              {active.map(wfLink)}
            </ul>
          )}
          {workflows && workflows.length === 0 && (
            <p class="muted small">
              No workflows on {project.default_branch}. Add one from the <a href="/patterns">patterns</a>.
            </p>
          )}
          {deleted.length > 0 && (
            <>
              <h3 class="small muted">Deleted</h3>
              <ul>{deleted.map(wfLink)}</ul>
            </>
          )}
        </nav>
        <section class="runs-section" aria-labelledby="runs-title">
          <div class="page-head">
            <div class="runs-heading">
              <h2 id="runs-title">
                {selected ? selected.name || workflowKey(selected.path) : filters.workflow ? filters.workflow : 'All workflows'}
              </h2>
              {selected && <span class="muted small mono">{selected.path}</span>}
            </div>
            {selected && <BadgeMarkdown project={project} workflow={selected} />}
          </div>
          {selected && selected.state === 'active' && hasRole(project, 'developer') && (
            <RunWorkflow key={`${project.name}:${selected.path}`} project={project} workflow={selected} onStarted={() => setBump((b) => b + 1)} />
          )}
          <FilterBar filters={filters} workflows={workflows} base={base} />
          <RunsList project={project} filters={filters} refresh={bump} />
        </section>
      </div>
    </Page>
  );
}
