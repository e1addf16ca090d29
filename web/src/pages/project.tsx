// /:owner/:name: a project's workflows and runs, as GitHub's Actions tab shows them.
// Filters and the page cursor live in the query string, so links and reloads keep them; the
// runs are polled every 3 s while the tab is visible and updated in place (keyed rows).
import { useLocation, useRoute } from 'preact-iso';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, enc, hasRole, projectPath, type Project, type Run, type RunList, type Workflow } from '../api';
import { CopyButton, Duration, ErrorBox, Loading, Page, RelativeTime, StatusIcon, stateOf, useLoad } from '../components';

const filterKeys = ['workflow', 'status', 'branch', 'event', 'actor'] as const;
type Filters = Partial<Record<(typeof filterKeys)[number] | 'before' | 'limit', string>>;

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
  for (const k of [...filterKeys, 'limit', 'before'] as const) {
    const v = f[k];
    if (v) q.set(k, v);
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

/** The workflow filter value of a workflow: its file name when it is in .github/workflows/. */
export function workflowKey(path: string): string {
  const m = /^\.github\/workflows\/([^/]+)$/.exec(path);
  return m ? m[1] : path;
}

// Older pages remember the page that linked to them, so "Newer" can go back one page (the API
// has a `before` cursor only). A page reached otherwise links to the newest page instead.
const newerOf = new Map<string, string>();

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
  // The cursor of the page loaded for `qs` (stale for a render after qs changed: not used then).
  const [next, setNext] = useState<{ qs: string; next: number | null }>({ qs: '', next: null });
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
        setNext({ qs, next: r.next });
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

  const before = filters.before ?? '';
  const older = next.qs === qs ? next.next : null;
  if (older !== null) newerOf.set(String(older), before);
  const newer = before ? (newerOf.has(before) ? newerOf.get(before)! : null) : undefined;
  const filtered = filterKeys.some((k) => filters[k]);

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
      {runs && runs.length === 0 && (
        <p class="empty" data-testid="runs-empty">
          {filtered || before ? (
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
      {runs && (before || older !== null) && (
        <nav class="pager" aria-label="Pages of runs">
          {before ? (
            <a class="button" href={base + queryString({ ...filters, before: newer ?? '' })} rel="prev">
              {newer === null ? 'Newest' : 'Newer'}
            </a>
          ) : (
            <span />
          )}
          {older !== null && (
            <a class="button" href={base + queryString({ ...filters, before: String(older) })} rel="next">
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
  const go = (change: Filters) => route(base + queryString({ ...filters, ...change, before: '' }));
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

/** The names and defaults of a workflow's `workflow_dispatch.inputs`, read from its YAML by
 * indentation (block style only; enough to prefill the form). */
export function dispatchInputs(yaml: string): { name: string; value: string }[] | null {
  const lines = yaml.split('\n');
  const indent = (l: string) => l.length - l.trimStart().length;
  const clean = (l: string) => l.replace(/\s+#.*$/, '');
  const at = lines.findIndex((l) => /^\s*['"]?workflow_dispatch['"]?\s*:/.test(l));
  if (at < 0) return /\bworkflow_dispatch\b/.test(yaml) ? [] : null;
  const wdIndent = indent(lines[at]);
  const out: { name: string; value: string }[] = [];
  let inputsIndent = -1;
  let nameIndent = -1;
  for (let i = at + 1; i < lines.length; i++) {
    const l = clean(lines[i]);
    if (!l.trim()) continue;
    const n = indent(l);
    if (n <= wdIndent) break;
    if (inputsIndent < 0) {
      if (/^\s*inputs\s*:\s*$/.test(l)) inputsIndent = n;
      continue;
    }
    if (n <= inputsIndent) break;
    const key = /^\s*['"]?([A-Za-z_][\w-]*)['"]?\s*:/.exec(l);
    if (nameIndent < 0) nameIndent = n;
    if (n === nameIndent && key) out.push({ name: key[1], value: '' });
    else if (n > nameIndent && out.length) {
      const d = /^\s*default\s*:\s*(.*)$/.exec(l);
      if (d) out[out.length - 1].value = d[1].trim().replace(/^(['"])(.*)\1$/, '$2');
    }
  }
  return out;
}

function parseInputs(text: string): { inputs: Record<string, string>; bad?: string } {
  const inputs: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { inputs, bad: line };
    inputs[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return { inputs };
}

function RunWorkflow({ project, workflow, onStarted }: { project: Project; workflow: Workflow; onStarted: () => void }) {
  const key = workflowKey(workflow.path);
  const api_ = `${projectPath(project.owner, shortName(project))}/workflows/${enc(key)}`;
  const [detail, detailError] = useLoad(() => api.get<Workflow>(api_), [api_]);
  const declared = detail?.yaml ? dispatchInputs(detail.yaml) : undefined;
  const [open, setOpen] = useState(false);
  const [ref, setRef] = useState(project.default_branch);
  const [inputs, setInputs] = useState('');
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [started, setStarted] = useState<{ id: number; label: string }[] | null>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const firstField = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!touched && declared) setInputs(declared.map((d) => `${d.name}=${d.value}`).join('\n'));
  }, [detail]);
  useLayoutEffect(() => {
    if (open) firstField.current?.focus();
  }, [open]);

  // Without a workflow_dispatch trigger there is nothing to run by hand (as on GitHub). When
  // the YAML cannot be read, the button stays: the server says what is wrong.
  if (declared === null || (!detail && !detailError)) return null;

  async function submit(e: Event) {
    e.preventDefault();
    const parsed = parseInputs(inputs);
    if (parsed.bad) {
      setError(new Error(`inputs: "${parsed.bad}" is not a key=value line`));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<{ runs: number[] }>(`${api_}/dispatches`, { ref: ref.trim(), inputs: parsed.inputs });
      // The answer names run ids; their numbers (#7) are what the list shows.
      const runs = await Promise.all(
        r.runs.map((id) =>
          api.get<Run>(`/api/v1/runs/${id}`).then(
            (run) => ({ id, label: `${run.name || key} #${run.run_number}` }),
            () => ({ id, label: `run ${id}` }),
          ),
        ),
      );
      setStarted(runs);
      setOpen(false);
      toggle.current?.focus();
      onStarted();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="dispatch">
      <div class="dispatch-bar">
        <span class="muted small">This workflow has a workflow_dispatch trigger.</span>
        <button
          type="button"
          ref={toggle}
          aria-expanded={open}
          aria-controls="dispatch-form"
          onClick={() => {
            setOpen(!open);
            setStarted(null);
          }}
        >
          Run workflow
        </button>
      </div>
      <p role="status" aria-live="polite" class="small">
        {started && started.length > 0 && (
          <>
            Started{' '}
            {started.map((run, i) => (
              <span key={run.id}>
                {i > 0 && ', '}
                <a href={`/${project.name}/runs/${run.id}`}>{run.label}</a>
              </span>
            ))}
            .
          </>
        )}
        {started && started.length === 0 && <>No run started: the workflow's triggers did not match.</>}
      </p>
      {open && (
        <form
          id="dispatch-form"
          class="card form dispatch-form"
          onSubmit={submit}
          aria-label={`Run ${workflow.name || key}`}
          onKeyDown={(e) => {
            if (e.key !== 'Escape') return;
            setOpen(false);
            toggle.current?.focus();
          }}
        >
          <label>
            Use workflow from (branch, tag or commit)
            <input ref={firstField} name="ref" required spellcheck={false} value={ref} onInput={(e) => setRef(e.currentTarget.value)} />
          </label>
          <div class="field">
            <label for="dispatch-inputs">Inputs</label>
            <textarea
              id="dispatch-inputs"
              name="inputs"
              class="mono"
              rows={Math.max(2, inputs.split('\n').length)}
              spellcheck={false}
              placeholder="name=value, one a line"
              value={inputs}
              aria-describedby="inputs-help"
              onInput={(e) => {
                setTouched(true);
                setInputs(e.currentTarget.value);
              }}
            />
            <span id="inputs-help" class="help">
              One <code>key=value</code> a line
              {declared && declared.length > 0 ? `; this workflow declares ${declared.map((d) => d.name).join(', ')}` : ''}
            </span>
          </div>
          <ErrorBox error={error} />
          <div class="toolbar">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Starting…' : 'Run workflow'}
            </button>
            <button
              type="button"
              onClick={() => {
                setOpen(false);
                toggle.current?.focus();
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
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
  for (const k of [...filterKeys, 'before', 'limit'] as const) if (query[k]) filters[k] = query[k];
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
