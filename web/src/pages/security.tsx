// /:owner/:name/security: a branch's security findings (SARIF uploads of its runs), filtered by
// state, severity and branch in the query string (links and reloads keep them), with the open
// findings' trend by severity over the branch's last runs.
import { useLocation, useRoute } from 'preact-iso';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, enc, projectPath, type Project } from '../api';
import { ErrorBox, Loading, Page, useLoad } from '../components';
import {
  securityQuery,
  severities,
  sortFindings,
  trendSeries,
  type SecurityFilters,
  type SecurityList,
  type SecurityTrendPoint,
} from '../lib/reports';
import { LineChart } from '../run/line_chart';
import { FindingWhere, SeverityChip, SeverityChips } from '../run/reports';
import { ProjectTabs } from './project_nav';
import '../run/reports.css';

const stateOptions: [string, string][] = [
  ['open', 'Open'],
  ['fixed', 'Fixed'],
  ['all', 'All'],
];

export function SecurityPage() {
  const { params } = useRoute();
  const { query, route } = useLocation();
  const owner = params.owner,
    name = params.name;
  const full = `${owner}/${name}`;
  const base = `/${enc(owner)}/${enc(name)}/security`;
  const filters: SecurityFilters = { branch: query.branch, state: query.state || 'open', severity: query.severity };
  const [project] = useLoad(() => api.get<Project>(projectPath(owner, name)), [full]);
  const branch = filters.branch || project?.default_branch || '';
  const listUrl = `${projectPath(owner, name)}/security?state=${enc(filters.state ?? 'open')}` + (branch ? `&branch=${enc(branch)}` : '');
  const [list, listError] = useLoad(() => api.get<SecurityList>(listUrl), [listUrl]);
  const trendUrl = `${projectPath(owner, name)}/security/trend?limit=30` + (branch ? `&branch=${enc(branch)}` : '');
  const [trend, trendError] = useLoad(
    () => api.get<{ points: SecurityTrendPoint[] }>(trendUrl).then((r) => r.points ?? []),
    [trendUrl],
  );
  const [branchText, setBranchText] = useState(filters.branch ?? '');
  useEffect(() => setBranchText(filters.branch ?? ''), [filters.branch]);
  const go = (change: SecurityFilters) => route(base + securityQuery({ ...filters, ...change }));

  const shown = useMemo(() => {
    const all = sortFindings(list?.findings ?? []);
    return filters.severity ? all.filter((f) => f.severity.toLowerCase() === filters.severity) : all;
  }, [list, filters.severity]);
  const runHref = (id: number) => `/${enc(owner)}/${enc(name)}/runs/${id}`;
  const shownBranch = list?.branch || branch;
  const filtered = !!(filters.severity || filters.state !== 'open' || filters.branch);

  return (
    <Page title={`Security · ${full}`}>
      <div class="page-head project-head">
        <h1>
          <a class="muted" href={`/${enc(owner)}/${enc(name)}`}>
            {full}
          </a>{' '}
          security
        </h1>
      </div>
      <ProjectTabs owner={owner} name={name} current="security" />
      <form
        class="filters"
        role="search"
        aria-label="Filter findings"
        onSubmit={(e) => {
          e.preventDefault();
          go({ branch: branchText.trim() });
        }}
      >
        <label>
          State
          <select value={filters.state} onChange={(e) => go({ state: e.currentTarget.value })}>
            {stateOptions.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Severity
          <select value={filters.severity ?? ''} onChange={(e) => go({ severity: e.currentTarget.value })}>
            <option value="">Any severity</option>
            {severities.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Branch
          <input
            value={branchText}
            spellcheck={false}
            placeholder={project?.default_branch ?? 'default branch'}
            size={12}
            onInput={(e) => setBranchText(e.currentTarget.value)}
          />
        </label>
        <div class="filter-buttons">
          <button type="submit">Filter</button>
          {filtered && (
            <a class="button" href={base}>
              Clear
            </a>
          )}
        </div>
      </form>

      <section aria-labelledby="sec-trend-h">
        <h2 id="sec-trend-h">
          Open findings on {shownBranch ? <span class="branch mono">{shownBranch}</span> : 'the default branch'}
        </h2>
        {list && <SeverityChips counts={list.counts} label="Open findings by severity" />}
        <ErrorBox error={trendError} />
        {!trend && !trendError && <Loading what="the trend" />}
        {trend && trend.length === 0 && <p class="empty">No run on this branch has uploaded a security report yet.</p>}
        {trend && trend.length > 0 && (
          <LineChart
            testid="security-trend"
            label={`Open findings by severity over the last runs on ${shownBranch || 'the default branch'}`}
            xLabels={trend.map((p) => `#${p.number}`)}
            xTitles={trend.map((p) => (p.created_at ? new Date(p.created_at).toLocaleDateString() : ''))}
            xLinks={trend.map((p) => runHref(p.run_id))}
            series={trendSeries(trend)}
          />
        )}
      </section>

      <section aria-labelledby="sec-list-h">
        <h2 id="sec-list-h">Findings</h2>
        <ErrorBox error={listError} />
        {!list && !listError && <Loading what="the findings" />}
        {list && (
          <p class="muted small" data-testid="findings-count" role="status">
            {shown.length === 1 ? '1 finding' : `${shown.length} findings`}
            {filtered ? ' match the filters' : ''}
          </p>
        )}
        {list && shown.length === 0 && (
          <p class="empty">{filtered ? <>No finding matches. <a href={base}>Clear the filters</a></> : 'No open finding.'}</p>
        )}
        {list && shown.length > 0 && (
          <div class="table-wrap">
            <table class="findings-table" data-testid="findings" aria-labelledby="sec-list-h">
              <thead>
                <tr>
                  <th scope="col">Severity</th>
                  <th scope="col">Rule</th>
                  <th scope="col">Message</th>
                  <th scope="col">Location</th>
                  <th scope="col">First seen</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((f, i) => (
                  <tr key={f.id ?? `f-${i}`} id={f.id ? `finding-${f.id}` : undefined} data-severity={f.severity} data-state={f.state}>
                    <td>
                      <SeverityChip severity={f.severity} />
                    </td>
                    <td>
                      <span class="mono">{f.rule_id}</span>
                      {f.tool && <div class="muted small">{f.tool}</div>}
                    </td>
                    <td class="message">{f.message}</td>
                    <td>
                      <FindingWhere f={f} />
                    </td>
                    <td>{f.first_seen_run_id ? <a href={runHref(f.first_seen_run_id)}>run {f.first_seen_run_id}</a> : '–'}</td>
                    <td class={`state-${f.state}`}>
                      {f.state === 'fixed' && f.fixed_run_id ? (
                        <>
                          fixed in <a href={runHref(f.fixed_run_id)}>run {f.fixed_run_id}</a>
                        </>
                      ) : (
                        f.state
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </Page>
  );
}

