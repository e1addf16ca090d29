// Unit tests of the report views' pure parts: chart scaling and ticks (lib/chart.ts), severity
// order, percent and delta formatting, sorting and filtering (lib/reports.ts), and the chart's
// SVG (no inline style, the current run set apart, an accessible name).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelIndexes, niceStep, niceTicks, pointX, scaleLinear, tickLabel } from '../src/lib/chart';
import {
  deltaDirection,
  filterTests,
  formatDelta,
  formatPercent,
  formatSeconds,
  nextSort,
  pickTab,
  runTabs,
  securityQuery,
  severityChips,
  severityClass,
  severityRank,
  sortFiles,
  sortFindings,
  trendSeries,
  type FileCoverage,
  type RunReports,
} from '../src/lib/reports';
import { LineChart } from '../src/run/line_chart';

// ---------- chart ----------

test('chart: nice steps are 1, 2, 2.5 or 5 times a power of ten', () => {
  assert.equal(niceStep(100, 4), 25);
  assert.equal(niceStep(10, 4), 2.5);
  assert.equal(niceStep(7, 4), 2);
  assert.equal(niceStep(0.3, 4), 0.1);
  assert.equal(niceStep(1000, 5), 200);
  assert.equal(niceStep(0, 4), 1);
});

test('chart: ticks cover the data and land on steps', () => {
  const t = niceTicks(71.3, 84.9, { count: 4, floor: 0, ceil: 100 });
  assert.ok(t.lo <= 71.3 && t.hi >= 84.9, JSON.stringify(t));
  assert.deepEqual(t.ticks, [70, 75, 80, 85]);
  // percents stop at 100 and 0
  const p = niceTicks(92, 100, { count: 4, floor: 0, ceil: 100 });
  assert.equal(p.hi, 100);
  assert.deepEqual(niceTicks(0, 3, { integer: true, floor: 0 }).ticks, [0, 1, 2, 3]);
  // integer counts never get fractional steps
  assert.deepEqual(niceTicks(0, 2, { count: 8, integer: true, floor: 0 }).ticks, [0, 1, 2]);
  // no float noise
  assert.deepEqual(niceTicks(0.1, 0.3, { count: 2 }).ticks, [0.1, 0.2, 0.3]);
});

test('chart: a flat series gets a span around its value, not below the floor', () => {
  const t = niceTicks(0, 0, { integer: true, floor: 0 });
  assert.equal(t.lo, 0);
  assert.ok(t.hi >= 1);
  const u = niceTicks(80, 80, { floor: 0, ceil: 100 });
  assert.ok(u.lo < 80 && u.hi > 80 && u.hi <= 100, JSON.stringify(u));
  const w = niceTicks(100, 100, { floor: 0, ceil: 100 });
  assert.ok(w.lo < 100 && w.hi === 100, JSON.stringify(w));
});

test('chart: scales map the domain onto the range (y grows downwards)', () => {
  const y = scaleLinear(0, 100, 200, 0);
  assert.equal(y(0), 200);
  assert.equal(y(100), 0);
  assert.equal(y(25), 150);
  assert.equal(scaleLinear(5, 5, 0, 10)(5), 5);
  assert.equal(pointX(0, 1, 0, 100), 50);
  assert.equal(pointX(0, 3, 0, 100), 0);
  assert.equal(pointX(2, 3, 0, 100), 100);
});

test('chart: x labels thin out but the newest is always labelled', () => {
  assert.deepEqual(labelIndexes(5, 8), [0, 1, 2, 3, 4]);
  const l = labelIndexes(30, 8);
  assert.ok(l.length <= 8);
  assert.equal(l[l.length - 1], 29);
  assert.deepEqual(labelIndexes(0, 8), []);
  assert.equal(tickLabel(75, 25), '75');
  assert.equal(tickLabel(0.2, 0.1), '0.2');
  assert.equal(tickLabel(2.5, 2.5), '3'); // a 2.5 step shows whole numbers above 1
});

// A VNode tree (functions called) as HTML.
function html(v: any): string {
  if (v === null || v === undefined || v === false || v === true) return '';
  if (Array.isArray(v)) return v.map(html).join('');
  if (typeof v === 'string' || typeof v === 'number') return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  if (typeof v.type === 'function') return html(v.type(v.props));
  const { children, ...props } = v.props ?? {};
  const attrs = Object.entries(props)
    .filter(([k, x]) => x !== undefined && k !== 'key')
    .map(([k, x]) => ` ${k}="${String(x).replace(/"/g, '&quot;')}"`)
    .join('');
  return `<${v.type}${attrs}>${html(children)}</${v.type}>`;
}

test('chart: the SVG uses attributes, never style, and sets the current run apart', () => {
  const out = html(
    LineChart({
      label: 'Coverage <main>',
      xLabels: ['#1', '#2', '#3'],
      xLinks: ['/a/b/runs/1', '/a/b/runs/2', '/a/b/runs/3'],
      series: [{ name: 'Coverage', cls: 's-coverage', values: [70, null, 80.5] }],
      highlight: 2,
      percent: true,
      format: formatPercent,
    }),
  );
  assert.ok(!/ style=/.test(out), 'no inline style');
  assert.match(out, /<svg class="chart-svg"[^>]* role="img" aria-label="Coverage &lt;main&gt;|aria-label="Coverage <main>: 3 points from #1 to #3; latest 80.5%; this run is #3"/);
  assert.equal((out.match(/<circle /g) ?? []).length, 2, 'a point per value, none for null');
  assert.match(out, /<circle [^>]*r="5.5" class="current"><title>#3: 80.5%, this run<\/title>/);
  assert.match(out, /<a href="\/a\/b\/runs\/3">#3<\/a> \(this run\)/);
  assert.match(out, /<td>–<\/td>/, 'a missing value is a dash in the table');
  assert.equal(html(LineChart({ label: 'x', xLabels: [], series: [] })), '<p class="empty">No data to chart yet.</p>');
});

// ---------- severities ----------

test('reports: findings sort by severity, then file and line; unknown severities last', () => {
  const f = (severity: string, file: string, line: number, rule_id = 'r') => ({ severity, file, line, rule_id });
  const sorted = sortFindings([f('low', 'a.c', 1), f('bogus', 'a.c', 1), f('critical', 'z.c', 9), f('high', 'b.c', 20), f('high', 'b.c', 3), f('note', 'a.c', 1), f('Medium', 'a.c', 1)]);
  assert.deepEqual(
    sorted.map((x) => `${x.severity}:${x.line}`),
    ['critical:9', 'high:3', 'high:20', 'Medium:1', 'low:1', 'note:1', 'bogus:1'],
  );
  assert.equal(severityRank('critical'), 0);
  assert.equal(severityRank('NOTE'), 4);
  assert.equal(severityRank('x'), 5);
  assert.equal(severityClass('High'), 'high');
  assert.equal(severityClass('"><x'), 'unknown');
  assert.deepEqual(severityChips({ low: 2, critical: 1, medium: 0 }), [['critical', 1], ['low', 2]]);
  assert.equal(severityChips({}, true).length, 5);
});

// ---------- numbers ----------

test('reports: percents and deltas', () => {
  assert.equal(formatPercent(83.456), '83.5%');
  assert.equal(formatPercent(100), '100%');
  assert.equal(formatPercent(0), '0%');
  assert.equal(formatPercent(null), '');
  assert.equal(formatDelta(1.25), '+1.3%');
  assert.equal(formatDelta(-0.4), '−0.4%');
  assert.equal(formatDelta(0.04), '+0.04%');
  assert.equal(formatDelta(-0.001), '±0%');
  assert.equal(formatDelta(0), '±0%');
  assert.equal(formatDelta(null), '');
  assert.equal(formatDelta(NaN), '');
  assert.equal(deltaDirection(2), 'up');
  assert.equal(deltaDirection(-2), 'down');
  assert.equal(deltaDirection(0), 'same');
  assert.equal(deltaDirection(null), '');
  assert.equal(formatSeconds(0.421), '0.42s');
  assert.equal(formatSeconds(12.34), '12.3s');
  assert.equal(formatSeconds(65), '1m 5s');
  assert.equal(formatSeconds(-1), '');
});

test('reports: the file table sorts by path, percent and delta (missing deltas last)', () => {
  const file = (path: string, percent: number, delta: number | null): FileCoverage => ({ path, percent, delta, lines_total: 10, lines_covered: 1 });
  const files = [file('b.c', 50, 1), file('a.c', 90, null), file('c.c', 50, -3)];
  assert.deepEqual(sortFiles(files, { key: 'path', desc: false }).map((f) => f.path), ['a.c', 'b.c', 'c.c']);
  assert.deepEqual(sortFiles(files, { key: 'path', desc: true }).map((f) => f.path), ['c.c', 'b.c', 'a.c']);
  assert.deepEqual(sortFiles(files, { key: 'percent', desc: false }).map((f) => f.path), ['b.c', 'c.c', 'a.c']);
  assert.deepEqual(sortFiles(files, { key: 'percent', desc: true }).map((f) => f.path), ['a.c', 'b.c', 'c.c']);
  assert.deepEqual(sortFiles(files, { key: 'delta', desc: false }).map((f) => f.path), ['c.c', 'b.c', 'a.c']);
  assert.deepEqual(sortFiles(files, { key: 'delta', desc: true }).map((f) => f.path), ['b.c', 'c.c', 'a.c']);
  assert.deepEqual(files.map((f) => f.path), ['b.c', 'a.c', 'c.c'], 'the input is not sorted in place');
  assert.deepEqual(nextSort({ key: 'path', desc: false }, 'path'), { key: 'path', desc: true });
  assert.deepEqual(nextSort({ key: 'path', desc: true }, 'delta'), { key: 'delta', desc: false });
});

test('reports: the tests filter matches every word in any field', () => {
  const list = [
    { job: 'test', classname: 'shop.CartTest', name: 'adds items', message: 'expected 2' },
    { job: 'lint', classname: 'shop.Other', name: 'works', message: 'timeout' },
  ];
  assert.equal(filterTests(list, '').length, 2);
  assert.deepEqual(filterTests(list, 'cart EXPECTED').map((t) => t.name), ['adds items']);
  assert.deepEqual(filterTests(list, 'lint timeout').map((t) => t.name), ['works']);
  assert.equal(filterTests(list, 'nothing').length, 0);
});

// ---------- tabs and URLs ----------

test('reports: the run page has a tab only for the reports it has', () => {
  const none: RunReports = { coverage: null, tests: null, security: null };
  assert.deepEqual(runTabs(null, false), ['summary']);
  assert.deepEqual(runTabs(none, true), ['summary', 'comment']);
  const some = { ...none, tests: { passed: 1, failed: 0, skipped: 0, seconds: 1, failures: [], flaky: [] } };
  assert.deepEqual(runTabs(some, false), ['summary', 'tests']);
  assert.equal(pickTab('tests', runTabs(some, false)), 'tests');
  assert.equal(pickTab('coverage', runTabs(some, false)), 'summary');
  assert.equal(pickTab(undefined, runTabs(some, false)), 'summary');
});

test('reports: the Security page keeps its filters in the query string', () => {
  assert.equal(securityQuery({}), '');
  assert.equal(securityQuery({ state: 'open' }), '');
  assert.equal(securityQuery({ state: 'all', severity: 'high', branch: 'feature/x' }), '?branch=feature%2Fx&state=all&severity=high');
  const series = trendSeries([
    { run_id: 1, number: 1, created_at: '', open: { high: 1, low: 2 } },
    { run_id: 2, number: 2, created_at: '', open: { critical: 0 } },
  ]);
  assert.deepEqual(series.map((s) => s.name), ['critical', 'high', 'low']);
  assert.deepEqual(series[2].values, [2, 0]);
  assert.equal(series[1].cls, 'sev-high');
});
