// The run page's report tabs: Tests (counts, failures, flaky tests, a filter), Coverage (the
// total against the base run, the files, the branch's trend), Security (counts by severity, the
// new findings) and the pull request comment's preview. All server text is rendered as text.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, enc, projectPath } from '../api';
import { ErrorBox, Loading } from '../components';
import { Markdown } from '../lib/markdown_view';
import {
  deltaDirection,
  filterTests,
  formatDelta,
  formatPercent,
  formatSeconds,
  nextSort,
  severityChips,
  severityClass,
  sortFiles,
  sortFindings,
  type CoveragePoint,
  type CoverageSummary,
  type FileSort,
  type FileSortKey,
  type Finding,
  type SecuritySummary,
  type SeverityCounts,
  type TestSummary,
} from '../lib/reports';
import { LineChart } from './line_chart';
import './reports.css';

const runHref = (owner: string, name: string, runId: number) => `/${enc(owner)}/${enc(name)}/runs/${runId}`;

// ---- shared pieces (the project's Security page uses them too) ----

export function SeverityChip({ severity, count }: { severity: string; count?: number }) {
  const cls = severityClass(severity);
  return (
    <span class={`sev-chip sev-${cls}`} data-severity={cls}>
      {count !== undefined && <span class="sev-count">{count}</span>}
      {severity}
    </span>
  );
}

export function SeverityChips({ counts, label, all }: { counts: SeverityCounts | undefined; label: string; all?: boolean }) {
  const chips = severityChips(counts, all);
  if (!chips.length) return <p class="muted">No findings.</p>;
  return (
    <ul class="sev-chips" aria-label={label}>
      {chips.map(([s, n]) => (
        <li key={s}>
          <SeverityChip severity={s} count={n} />
        </li>
      ))}
    </ul>
  );
}

/** A number with a label under it: the big figures at the top of a tab. */
function Stat({ value, label, cls }: { value: string | number; label: string; cls?: string }) {
  return (
    <div class={`stat ${cls ?? ''}`}>
      <span class="stat-value">{value}</span>
      <span class="stat-label">{label}</span>
    </div>
  );
}

// ---- Tests ----

export function TestsView({ tests }: { tests: TestSummary }) {
  const [filter, setFilter] = useState('');
  const failures = useMemo(() => filterTests(tests.failures ?? [], filter), [tests, filter]);
  const flaky = useMemo(() => filterTests(tests.flaky ?? [], filter), [tests, filter]);
  const total = tests.passed + tests.failed + tests.skipped;
  return (
    <section aria-labelledby="tests-h" data-testid="tests-view">
      <h2 id="tests-h">Tests</h2>
      <div class="stats" data-testid="tests-counts">
        <Stat value={tests.passed} label="passed" cls="stat-passed" />
        <Stat value={tests.failed} label="failed" cls={tests.failed ? 'stat-failed' : ''} />
        <Stat value={tests.skipped} label="skipped" />
        <Stat value={formatSeconds(tests.seconds) || '–'} label={`for ${total} test${total === 1 ? '' : 's'}`} />
      </div>
      {(tests.failures?.length > 0 || tests.flaky?.length > 0) && (
        <label class="report-filter">
          Filter tests
          <input
            type="search"
            value={filter}
            spellcheck={false}
            placeholder="job, class, name or message"
            onInput={(e) => setFilter(e.currentTarget.value)}
          />
        </label>
      )}
      {filter && (
        <p class="muted small" role="status" aria-live="polite">
          {[
            `${failures.length} of ${tests.failures.length} failures`,
            tests.flaky.length ? `${flaky.length} of ${tests.flaky.length} flaky tests` : '',
          ]
            .filter(Boolean)
            .join(', ')}{' '}
          match.
        </p>
      )}
      <h3>Failures</h3>
      {tests.failures?.length ? (
        failures.length ? (
          <ul class="list failures" data-testid="failures">
            {failures.map((f, i) => (
              <li key={i} class="failure">
                <div class="failure-head">
                  <span class="status status-failure" aria-hidden="true">
                    ✗
                  </span>
                  <strong class="failure-name">{f.name}</strong>
                  {f.classname && <span class="mono small muted">{f.classname}</span>}
                  {f.job && <span class="badge">{f.job}</span>}
                </div>
                {f.file && <div class="mono small">{f.file}</div>}
                {f.message && <div class="failure-message">{f.message}</div>}
                {f.details && (
                  <details class="failure-details">
                    <summary>Details</summary>
                    <pre class="code">{f.details}</pre>
                  </details>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p class="empty">No failure matches the filter.</p>
        )
      ) : (
        <p class="empty">No test failed.</p>
      )}
      {tests.flaky?.length > 0 && (
        <>
          <h3>
            Flaky tests <span class="badge badge-flaky">{tests.flaky.length}</span>
          </h3>
          <p class="muted small">Failed, then passed on a retry.</p>
          {flaky.length ? (
            <ul class="list" data-testid="flaky">
              {flaky.map((t, i) => (
                <li key={i}>
                  <span class="badge badge-flaky">flaky</span>
                  <strong>{t.name}</strong>
                  {t.classname && <span class="mono small muted">{t.classname}</span>}
                  {t.suite && <span class="small muted">{t.suite}</span>}
                </li>
              ))}
            </ul>
          ) : (
            <p class="empty">No flaky test matches the filter.</p>
          )}
        </>
      )}
    </section>
  );
}

// ---- Coverage ----

const sortLabels: Record<FileSortKey, string> = { path: 'File', percent: 'Coverage', delta: 'Change' };

export function CoverageView({
  coverage,
  owner,
  name,
  runId,
  branch,
}: {
  coverage: CoverageSummary;
  owner: string;
  name: string;
  runId: number;
  branch: string;
}) {
  const [sort, setSort] = useState<FileSort>({ key: 'path', desc: false });
  const files = useMemo(() => sortFiles(coverage.files ?? [], sort), [coverage, sort]);
  const dir = deltaDirection(coverage.delta);
  return (
    <section aria-labelledby="cov-h" data-testid="coverage-view">
      <h2 id="cov-h">Coverage</h2>
      <div class="stats">
        <div class="stat">
          <span class="stat-value" data-testid="coverage-percent">
            {formatPercent(coverage.percent)}
          </span>
          <span class="stat-label">
            of lines ({coverage.lines_covered} of {coverage.lines_total})
          </span>
        </div>
        <div class="stat">
          {coverage.base ? (
            <>
              <span class={`stat-value delta delta-${dir}`} data-testid="coverage-delta">
                {formatDelta(coverage.delta)}
              </span>
              <span class="stat-label">
                against <a href={runHref(owner, name, coverage.base.run_id)}>#{coverage.base.number}</a> on{' '}
                <span class="branch mono">{coverage.base.branch}</span> ({formatPercent(coverage.base.percent)})
              </span>
            </>
          ) : (
            <>
              <span class="stat-value muted">–</span>
              <span class="stat-label">no earlier run to compare with</span>
            </>
          )}
        </div>
      </div>
      {branch && <CoverageTrend owner={owner} name={name} runId={runId} branch={branch} />}
      <h3 id="cov-files-h">Files</h3>
      {files.length === 0 ? (
        <p class="empty">The report names no files.</p>
      ) : (
        <div class="table-wrap">
          <table class="cov-files" aria-labelledby="cov-files-h" data-testid="coverage-files">
            <thead>
              <tr>
                {(['path', 'percent', 'delta'] as FileSortKey[]).map((k) => (
                  <th
                    key={k}
                    scope="col"
                    class={k === 'path' ? undefined : 'num'}
                    aria-sort={sort.key === k ? (sort.desc ? 'descending' : 'ascending') : undefined}
                  >
                    <button type="button" class="sort" onClick={() => setSort(nextSort(sort, k))}>
                      {sortLabels[k]}
                      <span aria-hidden="true" class="sort-mark">
                        {sort.key === k ? (sort.desc ? ' ▼' : ' ▲') : ''}
                      </span>
                    </button>
                  </th>
                ))}
                <th scope="col" class="num">
                  Lines
                </th>
              </tr>
            </thead>
            <tbody>
              {files.map((f) => (
                <tr key={f.path}>
                  <td class="mono path">{f.path}</td>
                  <td class="num">
                    <span class="cov-cell">
                      <PercentBar percent={f.percent} />
                      <span class="cov-pct">{formatPercent(f.percent)}</span>
                    </span>
                  </td>
                  <td class={`num delta delta-${deltaDirection(f.delta)}`}>{formatDelta(f.delta) || '–'}</td>
                  <td class="num muted">
                    {f.lines_covered}/{f.lines_total}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** A 0…100 bar as SVG (widths as attributes: no inline style). The text beside it carries the
 * number, so the bar is decoration. */
function PercentBar({ percent }: { percent: number }) {
  const w = Math.max(0, Math.min(100, percent));
  const level = w >= 80 ? 'good' : w >= 50 ? 'fair' : 'poor';
  return (
    <svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false">
      <rect class="bar-track" x="0" y="0" width="100" height="8" rx="2" />
      <rect class={`bar-fill bar-${level}`} x="0" y="0" width={w} height="8" rx="2" />
    </svg>
  );
}

function CoverageTrend({ owner, name, runId, branch }: { owner: string; name: string; runId: number; branch: string }) {
  const [points, setPoints] = useState<CoveragePoint[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stale = false;
    setPoints(null);
    api
      .get<{ points: CoveragePoint[] }>(`${projectPath(owner, name)}/coverage?branch=${enc(branch)}&limit=30`)
      .then((r) => !stale && setPoints(r.points ?? []))
      .catch((e) => !stale && setError(e));
    return () => {
      stale = true;
    };
  }, [owner, name, branch]);
  return (
    <>
      <h3>
        Trend on <span class="branch mono">{branch}</span>
      </h3>
      <ErrorBox error={error} />
      {!points && !error && <Loading what="the trend" />}
      {points && (
        <LineChart
          testid="coverage-trend"
          label={`Line coverage of the last runs on ${branch}`}
          xLabels={points.map((p) => `#${p.number}`)}
          xTitles={points.map((p) => [p.sha?.slice(0, 7), p.created_at ? new Date(p.created_at).toLocaleDateString() : ''].filter(Boolean).join(', '))}
          xLinks={points.map((p) => runHref(owner, name, p.run_id))}
          series={[{ name: 'Coverage', cls: 's-coverage', values: points.map((p) => p.percent) }]}
          highlight={points.findIndex((p) => p.run_id === runId)}
          percent
          format={formatPercent}
        />
      )}
    </>
  );
}

// ---- Security ----

export function FindingWhere({ f }: { f: Pick<Finding, 'file' | 'line'> }) {
  if (!f.file) return null;
  return (
    <span class="mono small finding-where">
      {f.file}
      {f.line ? `:${f.line}` : ''}
    </span>
  );
}

export function SecurityView({
  security,
  owner,
  name,
  branch,
}: {
  security: SecuritySummary;
  owner: string;
  name: string;
  branch: string;
}) {
  const fresh = useMemo(() => sortFindings(security.new ?? []), [security]);
  const projectSecurity = `/${enc(owner)}/${enc(name)}/security` + (branch ? `?branch=${enc(branch)}` : '');
  return (
    <section aria-labelledby="sec-h" data-testid="security-view">
      <h2 id="sec-h">Security</h2>
      <p>
        {security.total} finding{security.total === 1 ? '' : 's'} in this run.{' '}
        <a href={projectSecurity}>All of the project's findings</a>
      </p>
      <SeverityChips counts={security.by_severity} label="Findings by severity" />
      <h3>New in this run</h3>
      {fresh.length === 0 ? (
        <p class="empty">No new finding.</p>
      ) : (
        <ul class="list findings" data-testid="new-findings">
          {fresh.map((f, i) => (
            <li key={f.id ?? `new-${i}`}>
              <SeverityChip severity={f.severity} />
              <a
                class="mono"
                href={`${projectSecurity}${projectSecurity.includes('?') ? '&' : '?'}state=all${f.id ? `#finding-${f.id}` : ''}`}
              >
                {f.rule_id}
              </a>
              <span class="finding-message">{f.message}</span>
              <FindingWhere f={f} />
              {f.tool && <span class="muted small">{f.tool}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// ---- the pull request comment ----

export function CommentView({ runId }: { runId: number }) {
  const [body, setBody] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stale = false;
    setBody(null);
    setError(null);
    api
      .get<{ body: string }>(`/api/v1/runs/${runId}/comment`)
      .then((r) => !stale && setBody(r.body ?? ''))
      .catch((e) => !stale && setError(e));
    return () => {
      stale = true;
    };
  }, [runId]);
  return (
    <section aria-labelledby="comment-h" data-testid="comment-view">
      <h2 id="comment-h">Pull request comment</h2>
      <p class="muted small">What Gantry writes on the pull request about this run.</p>
      <ErrorBox error={error} />
      {body === null && !error && <Loading what="the comment" />}
      {body !== null && (body.trim() ? <Markdown source={body} class="card comment" /> : <p class="empty">No comment for this run.</p>)}
    </section>
  );
}
