// A job's log: its steps on the left, the log (virtualized, ANSI colors, foldable steps and
// groups, a link per line, search, timestamps, follow-tail while the job runs).
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, ApiError, enc, projectPath } from '../api';
import { Duration, ErrorBox, Page, StatusIcon } from '../components';
import { LogModel } from '../lib/log_model';
import {
  canWrite,
  orderedSteps,
  sameStep,
  stepAnchor,
  stepAnchors,
  stepName,
  type JobDetail,
  type StepX,
} from '../lib/run_types';
import { subscribe } from '../lib/sse';
import { LogView, type LogViewHandle } from './log_view';
import './log.css';

const TS_KEY = 'gantry.log.timestamps';

function readTsPref(): boolean {
  try {
    return localStorage.getItem(TS_KEY) === '1';
  } catch {
    return false;
  }
}

export function JobPage() {
  const { params } = useRoute();
  const { owner, name, id: runId, job: jobId } = params;
  const { route } = useLocation();
  const [role, setRole] = useState<string | undefined>(undefined);
  const [rerunError, setRerunError] = useState<unknown>(null);
  const [rerunning, setRerunning] = useState(false);
  useEffect(() => {
    api
      .get<{ role?: string }>(projectPath(owner, name))
      .then((p) => setRole(p.role))
      .catch(() => setRole(undefined));
  }, [owner, name]);
  const rerunJob = async () => {
    setRerunning(true);
    setRerunError(null);
    try {
      await api.post(`/api/v1/jobs/${enc(jobId)}/rerun`);
      route(`/${enc(owner)}/${enc(name)}/runs/${enc(runId)}`);
    } catch (e) {
      setRerunError(e);
      setRerunning(false);
    }
  };
  const [job, setJob] = useState<JobDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [logError, setLogError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const model = useRef<LogModel>(new LogModel(true));
  const [version, setVersion] = useState(0);
  const [showTs, setShowTs] = useState(readTsPref);
  const [follow, setFollow] = useState(true);
  const followRef = useRef(follow);
  followRef.current = follow;
  const [query, setQuery] = useState('');
  const [matches, setMatches] = useState<Array<[number, number, number]>>([]);
  const [cur, setCur] = useState(-1);
  const [searched, setSearched] = useState('');
  const [highlight, setHighlight] = useState(-1);
  const view = useRef<LogViewHandle | null>(null);
  const searchInput = useRef<HTMLInputElement>(null);

  const hashDone = useRef(false);
  const bump = useCallback(() => setVersion(model.current.version), []);

  const fetchJob = useCallback(async () => {
    try {
      const j = await api.get<JobDetail>(`/api/v1/jobs/${enc(jobId)}`);
      setJob(j);
      return j;
    } catch (e) {
      setError(e);
      return null;
    }
  }, [jobId]);

  // the log: all of it for a completed job; followed (SSE from offset 0) for a running one
  useEffect(() => {
    let cancelled = false;
    let close: (() => void) | undefined;
    let closeRun: (() => void) | undefined;
    model.current = new LogModel(true);
    hashDone.current = false;
    setVersion(-1);
    setLoading(true);
    (async () => {
      const j = await fetchJob();
      if (cancelled || !j) return;
      if (j.status === 'completed') {
        try {
          const res = await fetch(`/api/v1/jobs/${enc(jobId)}/logs`, { credentials: 'same-origin' });
          if (!res.ok) throw new ApiError(res.status, 'http_' + res.status, `the log cannot be read (${res.status})`);
          const text = await res.text();
          if (cancelled) return;
          model.current.append(text);
          model.current.finish();
        } catch (e) {
          setLogError(e);
        }
        setLoading(false);
        bump();
        return;
      }
      // following: groups start open and fold when their step ends
      const m = new LogModel(false);
      model.current = m;
      let offset = 0;
      let pending = '';
      let frame = 0;
      const flush = () => {
        frame = 0;
        if (!pending) return;
        const stick = followRef.current && (view.current?.atBottom() ?? true);
        m.append(pending);
        pending = '';
        bump();
        if (stick || followRef.current) requestAnimationFrame(() => followRef.current && view.current?.toBottom());
      };
      close = subscribe(() => `/api/v1/jobs/${enc(jobId)}/logs?follow=1${offset ? '&offset=' + offset : ''}`, {
        message: (data, e) => {
          setLoading(false);
          pending += data + '\n';
          if (e.lastEventId) offset = parseInt(e.lastEventId, 10) || offset;
          if (!frame) frame = requestAnimationFrame(flush);
        },
        end: () => {
          close?.();
          closeRun?.();
          cancelAnimationFrame(frame);
          flush();
          m.finish();
          setLoading(false);
          bump();
          fetchJob();
        },
      });
      // step statuses live from the run's events
      closeRun = subscribe(() => `/api/v1/runs/${j.run_id}/events`, {
        step: (data) => {
          const ev = JSON.parse(data) as StepX & { job_id: number };
          if (ev.job_id !== j.id) return;
          setJob((old) => {
            if (!old) return old;
            const steps = old.steps.some((s) => sameStep(s, ev)) ? old.steps.map((s) => (sameStep(s, ev) ? { ...s, ...ev } : s)) : [...old.steps, ev];
            return { ...old, steps };
          });
        },
        job: (data) => {
          const ev = JSON.parse(data);
          if (ev.id !== j.id) return;
          setJob((old) => (old ? { ...old, status: ev.status, conclusion: ev.conclusion, started_at: ev.started_at, completed_at: ev.completed_at } : old));
        },
        end: () => closeRun?.(),
      });
      setTimeout(() => !cancelled && setLoading(false), 1500);
    })();
    return () => {
      cancelled = true;
      close?.();
      closeRun?.();
    };
  }, [jobId]);

  const steps = useMemo(() => orderedSteps(job?.steps ?? []), [job]);
  const anchors = useMemo(() => stepAnchors(model.current, steps), [version, steps]);
  const anchorLine = useMemo(() => {
    const m = new Map<string, number>();
    anchors.forEach((a, i) => m.set(a, i));
    return m;
  }, [anchors]);

  // the line in the URL's hash: #L12 (line 12 of the log), #step-3 (step 3's first line),
  // #step-3-L2 (the second line of step 3)
  const goToHash = useCallback(() => {
    const h = decodeURIComponent(location.hash.slice(1));
    if (!h) return false;
    const m = /^(?:(step-(?:pre-|post-)?\d+)-?)?(?:L(\d+))?$/.exec(h);
    if (!m || (!m[1] && !m[2])) return false;
    let index = -1;
    const head = m[1] ? anchorLine.get(m[1]) ?? -1 : -1;
    if (m[1] && m[2]) {
      // the step's n-th line
      const f = head >= 0 ? model.current.folds[model.current.lines[head].fold] : undefined;
      const n = parseInt(m[2], 10);
      if (f && n >= 1 && head + n < f.end) index = head + n;
    } else if (m[2]) index = model.current.indexOfNum(parseInt(m[2], 10));
    else index = head;
    if (index < 0) return false;
    if (model.current.reveal(index)) bump();
    setHighlight(index);
    setFollow(false);
    requestAnimationFrame(() => view.current?.scrollToLine(index, true));
    return true;
  }, [anchorLine]);

  useEffect(() => {
    if (!hashDone.current && version > 0 && location.hash) {
      if (goToHash() || !loading) hashDone.current = true;
    }
  }, [version, anchorLine, loading]);
  useEffect(() => {
    const on = () => goToHash();
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, [goToHash]);

  // search: every match, case-insensitive; refreshed as the log grows
  useEffect(() => {
    if (!query) {
      setMatches([]);
      setCur(-1);
      return;
    }
    const t = setTimeout(() => {
      const found = model.current.search(query);
      setMatches(found);
      setSearched(query);
      setCur((c) => (found.length === 0 ? -1 : c < 0 || c >= found.length ? 0 : c));
    }, 120);
    return () => clearTimeout(t);
  }, [query, version >= 0 && query ? Math.floor(model.current.lines.length / 500) : 0]);
  const byLine = useMemo(() => {
    const m = new Map<number, Array<[number, number]>>();
    for (const [i, a, b] of matches) {
      const list = m.get(i);
      if (list) list.push([a, b]);
      else m.set(i, [[a, b]]);
    }
    return m;
  }, [matches]);
  const current = cur >= 0 && cur < matches.length ? matches[cur] : null;
  useEffect(() => {
    if (!current) return;
    if (model.current.reveal(current[0])) bump();
    setFollow(false);
    requestAnimationFrame(() => view.current?.scrollToLine(current[0]));
  }, [current?.[0], current?.[1], cur]);
  const step = (d: number) => {
    if (matches.length === 0) return;
    setCur((c) => (c + d + matches.length) % matches.length);
  };

  const toggleTs = () => {
    const v = !showTs;
    setShowTs(v);
    try {
      localStorage.setItem(TS_KEY, v ? '1' : '0');
    } catch {
      /* private mode */
    }
  };

  const onToggle = useCallback((fold: number) => {
    model.current.toggle(fold);
    bump();
  }, []);
  const runningRef = useRef(false);
  const onScrolled = useCallback((atBottom: boolean, movedUp: boolean) => {
    if (movedUp && !atBottom && followRef.current) setFollow(false);
    else if (atBottom && !followRef.current && runningRef.current) setFollow(true);
  }, []);

  // Ctrl/Cmd+F focuses the log search (the browser's own cannot see lines out of view)
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 'f' && searchInput.current) {
        e.preventDefault();
        searchInput.current.focus();
        searchInput.current.select();
      }
    };
    addEventListener('keydown', on);
    return () => removeEventListener('keydown', on);
  }, []);

  const runUrl = `/${enc(owner)}/${enc(name)}/runs/${enc(runId)}` + (job && job.attempt > 1 ? `?attempt=${job.attempt}` : '');
  if (error && !job) {
    const notFound = error instanceof ApiError && error.status === 404;
    return (
      <Page title="Job">
        <p>
          <a href={runUrl}>← Back to run</a>
        </p>
        {notFound ? <p class="error">There is no such job, or you cannot see it.</p> : <ErrorBox error={error} />}
      </Page>
    );
  }
  const running = job !== null && job.status !== 'completed';
  runningRef.current = running;
  const m = model.current;
  return (
    <Page title={job ? `${job.name} · ${owner}/${name}` : 'Job'}>
      <div class="job-page">
        <div class="job-head">
          <a class="back" href={runUrl}>
            ← Back to run
          </a>
          <h1>
            {job && <StatusIcon status={job.status} conclusion={job.conclusion} />} {job?.name ?? 'Job'}{' '}
            {job && <Duration start={job.started_at} end={job.completed_at} />}
          </h1>
        </div>
        {job?.error && <p class="error">{job.error}</p>}
        <ErrorBox error={rerunError} />
        <div class="log-toolbar" role="toolbar" aria-label="Log">
          <form
            class="log-search"
            role="search"
            onSubmit={(e) => {
              e.preventDefault();
            }}
          >
            <input
              ref={searchInput}
              type="search"
              placeholder="Search the log"
              aria-label="Search the log"
              data-testid="log-search"
              value={query}
              onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  step(e.shiftKey ? -1 : 1);
                } else if (e.key === 'Escape') setQuery('');
              }}
            />
            <span class="search-count" data-testid="search-count" aria-live="polite">
              {query ? (searched === query ? `${matches.length ? cur + 1 : 0} of ${matches.length}` : '…') : ''}
            </span>
            <button type="button" aria-label="Previous match" title="Previous match (Shift+Enter)" disabled={!matches.length} onClick={() => step(-1)}>
              ↑
            </button>
            <button type="button" aria-label="Next match" title="Next match (Enter)" disabled={!matches.length} onClick={() => step(1)}>
              ↓
            </button>
          </form>
          <span class="spacer" />
          <button type="button" data-testid="timestamps-toggle" aria-pressed={showTs} onClick={toggleTs}>
            Timestamps
          </button>
          <button
            type="button"
            data-testid="follow-toggle"
            aria-pressed={follow}
            title={running ? 'Keep the end of the log in view' : 'Go to the end of the log'}
            onClick={() => {
              const v = !follow;
              setFollow(v);
              if (v) requestAnimationFrame(() => view.current?.toBottom());
            }}
          >
            Follow
          </button>
          {job && job.status === 'completed' && canWrite(role) && (
            <button type="button" disabled={rerunning} onClick={rerunJob}>
              Re-run this job
            </button>
          )}
          <a class="button" data-testid="raw-log" href={`/api/v1/jobs/${enc(jobId)}/logs`} download={`job-${jobId}.log`}>
            Raw log
          </a>
        </div>
        <div class="log-layout">
          <nav class="log-steps" aria-label="Steps">
            <ol>
              {steps.map((s) => {
                const a = stepAnchor(s);
                return (
                  <li key={a}>
                    <a href={`#${a}`} data-testid="step-link" data-step={a} class={anchorLine.has(a) ? '' : 'no-log'}>
                      <StatusIcon status={s.status} conclusion={s.conclusion} />
                      <span class="sl-name">{stepName(s)}</span>
                      <Duration start={s.started_at} end={s.completed_at} />
                    </a>
                  </li>
                );
              })}
            </ol>
            {steps.length === 0 && <p class="empty">No steps yet.</p>}
          </nav>
          <div class="log-main">
            <ErrorBox error={logError} />
            {m.lines.length === 0 && (loading || job?.status === 'queued') ? (
              <p class="muted log-loading" aria-busy="true">
                {job?.status === 'queued'
                  ? job.waiting_reason || 'Waiting for an executor to take the job…'
                  : running
                    ? 'Waiting for the log…'
                    : 'Loading the log…'}
              </p>
            ) : null}
            <LogView
              model={m}
              version={version}
              showTimestamps={showTs}
              matches={byLine}
              current={current}
              highlight={highlight}
              stepAnchors={anchors}
              onToggle={onToggle}
              onScrolled={onScrolled}
              handle={view}
              empty={loading || job?.status === 'queued' || running ? '' : 'No log lines.'}
            />
          </div>
        </div>
      </div>
    </Page>
  );
}
