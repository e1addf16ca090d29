// Shapes of the report JSON (GET /api/v1/runs/{id}/reports, the project's coverage and security
// endpoints; docs/server.md "Reports") and the pure helpers the report views use: severity
// order, percent and delta formatting, sorting and filtering. No DOM here (unit-tested in node).

export const severities = ['critical', 'high', 'medium', 'low', 'note'] as const;
export type Severity = (typeof severities)[number];
export type SeverityCounts = Partial<Record<Severity, number>>;

export interface CoverageBase {
  run_id: number;
  number: number;
  branch: string;
  percent: number;
}
export interface FileCoverage {
  path: string;
  lines_total: number;
  lines_covered: number;
  percent: number;
  delta: number | null;
}
export interface CoverageSummary {
  percent: number;
  lines_total: number;
  lines_covered: number;
  base: CoverageBase | null;
  delta: number | null;
  files: FileCoverage[];
}
export interface TestFailure {
  job: string;
  suite: string;
  classname: string;
  name: string;
  file: string;
  message: string;
  details: string;
}
export interface FlakyTest {
  suite: string;
  classname: string;
  name: string;
}
export interface TestSummary {
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  failures: TestFailure[];
  flaky: FlakyTest[];
}
export interface Finding {
  id: number | null; // null in a run's report for a finding not stored yet
  tool: string;
  rule_id: string;
  severity: string;
  message: string;
  file: string;
  line: number;
  state: string; // open | fixed
  first_seen_run_id: number;
  last_seen_run_id?: number;
  fixed_run_id?: number | null;
}
export interface SecuritySummary {
  total: number;
  by_severity: SeverityCounts;
  new: Finding[];
  findings: Finding[];
}
export interface RunReports {
  coverage: CoverageSummary | null;
  tests: TestSummary | null;
  security: SecuritySummary | null;
}
export interface CoveragePoint {
  run_id: number;
  number: number;
  sha: string;
  created_at: string;
  percent: number;
}
export interface SecurityList {
  branch: string;
  findings: Finding[];
  counts: SeverityCounts;
}
export interface SecurityTrendPoint {
  run_id: number;
  number: number;
  created_at: string;
  open: SeverityCounts;
}

// ---- severities ----

/** 0 for critical … 4 for note; an unknown severity sorts after note. */
export function severityRank(s: string): number {
  const i = severities.indexOf(s.toLowerCase() as Severity);
  return i < 0 ? severities.length : i;
}

/** Findings, most severe first, then by file, line and rule (a copy; stable). */
export function sortFindings<T extends Pick<Finding, 'severity' | 'file' | 'line' | 'rule_id'>>(list: T[]): T[] {
  return [...list].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.rule_id ?? '').localeCompare(b.rule_id ?? ''),
  );
}

/** The severities of `counts` in order, with their count (zero ones left out unless `all`). */
export function severityChips(counts: SeverityCounts | undefined, all = false): Array<[Severity, number]> {
  return severities.map((s): [Severity, number] => [s, counts?.[s] ?? 0]).filter(([, n]) => all || n > 0);
}

/** A known severity's name for a class (sev-critical …), "unknown" otherwise. */
export const severityClass = (s: string) => (severityRank(s) < severities.length ? s.toLowerCase() : 'unknown');

// ---- numbers ----

/** "83.4%": one decimal; 100 and 0 without one. */
export function formatPercent(p: number | null | undefined): string {
  if (p === null || p === undefined || !isFinite(p)) return '';
  if (p >= 100) return '100%';
  if (p <= 0) return '0%';
  return `${p.toFixed(1)}%`;
}

/** A coverage change in percentage points: "+1.2%", "−0.4%" (a minus sign), "±0%"; two decimals
 * below 0.1 so a small change does not read as none; "" for null (no base to compare with). */
export function formatDelta(d: number | null | undefined): string {
  if (d === null || d === undefined || !isFinite(d)) return '';
  const a = Math.abs(d);
  if (a < 0.005) return '±0%';
  const digits = a < 0.1 ? 2 : 1;
  return `${d > 0 ? '+' : '−'}${a.toFixed(digits)}%`;
}

/** "up" | "down" | "same" | "" (no delta): the class of a delta's color. */
export function deltaDirection(d: number | null | undefined): string {
  if (d === null || d === undefined || !isFinite(d)) return '';
  return Math.abs(d) < 0.005 ? 'same' : d > 0 ? 'up' : 'down';
}

/** "1m 5s", "12.3s", "0.42s" for a test duration in seconds. */
export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !isFinite(s) || s < 0) return '';
  if (s < 1) return `${s.toFixed(2)}s`;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

// ---- the coverage file table ----

export type FileSortKey = 'path' | 'percent' | 'delta';
export interface FileSort {
  key: FileSortKey;
  desc: boolean;
}

/** Files sorted by `sort` (a copy). A missing delta sorts last either way; ties by path. */
export function sortFiles(files: FileCoverage[], sort: FileSort): FileCoverage[] {
  const dir = sort.desc ? -1 : 1;
  return [...files].sort((a, b) => {
    if (sort.key === 'path') return dir * a.path.localeCompare(b.path);
    if (sort.key === 'delta') {
      const an = a.delta === null || a.delta === undefined,
        bn = b.delta === null || b.delta === undefined;
      if (an !== bn) return an ? 1 : -1;
      if (!an && a.delta !== b.delta) return dir * ((a.delta as number) - (b.delta as number));
      return a.path.localeCompare(b.path);
    }
    return dir * (a.percent - b.percent) || a.path.localeCompare(b.path);
  });
}

/** The next sort after a click on `key`'s header: the same key flips; a new one starts with
 * path ascending, numbers ascending (the worst files first). */
export function nextSort(cur: FileSort, key: FileSortKey): FileSort {
  if (cur.key === key) return { key, desc: !cur.desc };
  return { key, desc: false };
}

// ---- tests ----

/** The failures and flaky tests whose text contains every word of `filter` (case-insensitive). */
export function filterTests<T extends object>(list: T[], filter: string): T[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return list;
  return list.filter((t) => {
    const hay = Object.values(t)
      .filter((v) => typeof v === 'string')
      .join('\n')
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

// ---- the run page's tabs ----

export type RunTab = 'summary' | 'tests' | 'coverage' | 'security' | 'comment';

/** The run page's tabs: Summary always, a report's tab only when the run has that report, the
 * PR comment for pull request runs. */
export function runTabs(reports: RunReports | null, pullRequest: boolean): RunTab[] {
  const tabs: RunTab[] = ['summary'];
  if (reports?.tests) tabs.push('tests');
  if (reports?.coverage) tabs.push('coverage');
  if (reports?.security) tabs.push('security');
  if (pullRequest) tabs.push('comment');
  return tabs;
}

/** The tab `?tab=` asks for, if the run has it; else Summary. */
export function pickTab(wanted: string | undefined, tabs: RunTab[]): RunTab {
  return tabs.includes(wanted as RunTab) ? (wanted as RunTab) : 'summary';
}

// ---- the project's Security page ----

export type SecurityFilters = { branch?: string; state?: string; severity?: string };

/** The Security page's query string (fixed key order; the default state "open" and empty
 * values left out), "" for none. */
export function securityQuery(f: SecurityFilters): string {
  const q = new URLSearchParams();
  if (f.branch) q.set('branch', f.branch);
  if (f.state && f.state !== 'open') q.set('state', f.state);
  if (f.severity) q.set('severity', f.severity);
  const s = q.toString();
  return s ? '?' + s : '';
}

/** The security trend's lines: one per severity with an open finding in some run, and always
 * critical and high (an empty trend still draws its zero lines). */
export function trendSeries(points: SecurityTrendPoint[]): Array<{ name: string; cls: string; values: number[] }> {
  return severities
    .filter((s) => s === 'critical' || s === 'high' || points.some((p) => (p.open?.[s] ?? 0) > 0))
    .map((s) => ({ name: s, cls: `sev-${s}`, values: points.map((p) => p.open?.[s] ?? 0) }));
}
