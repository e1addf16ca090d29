// A line chart drawn by hand in SVG (no chart library): y ticks and grid, x labels, one line per
// series, a point per value with a tooltip (<title>), one point set apart (the current run).
// Colors come from classes (run/reports.css, the theme's variables), positions from SVG
// attributes: nothing uses inline styles (the CSP's style-src 'self'). The same data follows
// as a table (folded) for screen readers and for reading exact values.
import type { ComponentChildren } from 'preact';
import { labelIndexes, niceTicks, pointX, scaleLinear, tickLabel } from '../lib/chart';

export interface ChartSeries {
  name: string;
  cls: string; // the line's class: its color (e.g. "s-coverage", "sev-high")
  values: Array<number | null>; // one per x; null: no value there
}

export interface LineChartProps {
  label: string; // what the chart shows: the SVG's accessible name and the table's caption
  xLabels: string[]; // one per point, e.g. "#12"
  xTitles?: string[]; // more about each point for its tooltip, e.g. the date and commit
  xLinks?: Array<string | undefined>; // the table's link for each point (a run)
  series: ChartSeries[];
  highlight?: number; // the index set apart (the current run)
  percent?: boolean; // the y axis is 0…100 at most, values shown as "83.4%"
  format?: (v: number) => string;
  testid?: string;
}

const W = 640,
  H = 220,
  LEFT = 44,
  RIGHT = 14,
  TOP = 12,
  BOTTOM = 30;

export function LineChart(p: LineChartProps) {
  const n = p.xLabels.length;
  const fmt = p.format ?? ((v: number) => String(v));
  const all = p.series.flatMap((s) => s.values.filter((v): v is number => v !== null && isFinite(v)));
  if (n === 0 || all.length === 0) return <p class="empty">No data to chart yet.</p>;
  const ticks = niceTicks(Math.min(...all), Math.max(...all), {
    count: 4,
    integer: !p.percent,
    floor: 0,
    ceil: p.percent ? 100 : undefined,
  });
  const y = scaleLinear(ticks.lo, ticks.hi, H - BOTTOM, TOP);
  const x = (i: number) => pointX(i, n, LEFT + 8, W - RIGHT - 8);
  const shown = labelIndexes(n, 8);
  const hl = p.highlight !== undefined && p.highlight >= 0 && p.highlight < n ? p.highlight : undefined;
  const last = (s: ChartSeries) => [...s.values].reverse().find((v) => v !== null);
  const summary =
    `${p.label}: ${n} point${n === 1 ? '' : 's'} from ${p.xLabels[0]} to ${p.xLabels[n - 1]}` +
    p.series.map((s) => `; ${p.series.length > 1 ? s.name + ' ' : ''}latest ${fmtOr(last(s), fmt)}`).join('') +
    (hl !== undefined ? `; this run is ${p.xLabels[hl]}` : '');

  return (
    <figure class="chart" data-testid={p.testid}>
      <svg class="chart-svg" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary} preserveAspectRatio="xMidYMid meet">
        <g class="chart-grid">
          {ticks.ticks.map((t) => (
            <g key={t}>
              <line x1={LEFT} x2={W - RIGHT} y1={y(t)} y2={y(t)} />
              <text x={LEFT - 6} y={y(t)} dy="0.32em" text-anchor="end">
                {tickLabel(t, ticks.step)}
                {p.percent ? '%' : ''}
              </text>
            </g>
          ))}
        </g>
        <line class="chart-axis" x1={LEFT} x2={W - RIGHT} y1={H - BOTTOM} y2={H - BOTTOM} />
        {hl !== undefined && <line class="chart-current" x1={x(hl)} x2={x(hl)} y1={TOP} y2={H - BOTTOM} />}
        <g class="chart-x">
          {shown.map((i) => (
            <text key={i} x={x(i)} y={H - BOTTOM + 18} text-anchor="middle" class={i === hl ? 'current' : undefined}>
              {p.xLabels[i]}
            </text>
          ))}
        </g>
        {p.series.map((s) => (
          <g key={s.name} class={`chart-series ${s.cls}`}>
            <polyline points={linePoints(s.values, x, y)} />
            {s.values.map((v, i) =>
              v === null || !isFinite(v) ? null : (
                <circle key={i} cx={x(i)} cy={y(v)} r={i === hl ? 5.5 : 3.5} class={i === hl ? 'current' : undefined}>
                  <title>
                    {p.xLabels[i]}
                    {p.series.length > 1 ? ` ${s.name}` : ''}: {fmt(v)}
                    {p.xTitles?.[i] ? ` (${p.xTitles[i]})` : ''}
                    {i === hl ? ', this run' : ''}
                  </title>
                </circle>
              ),
            )}
          </g>
        ))}
      </svg>
      {p.series.length > 1 && (
        <ul class="chart-legend" aria-hidden="true">
          {p.series.map((s) => (
            <li key={s.name} class={s.cls}>
              <svg width="14" height="10" viewBox="0 0 14 10">
                <line x1="0" x2="14" y1="5" y2="5" />
              </svg>
              {s.name}
            </li>
          ))}
        </ul>
      )}
      <details class="chart-data">
        <summary>Data table</summary>
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">{p.label}</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                {p.series.map((s) => (
                  <th scope="col" key={s.name}>
                    {s.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {p.xLabels.map((l, i) => (
                <tr key={i} class={i === hl ? 'current' : undefined}>
                  <th scope="row">
                    {cell(p.xLinks?.[i], l)}
                    {i === hl ? ' (this run)' : ''}
                    {p.xTitles?.[i] ? <span class="muted small"> {p.xTitles[i]}</span> : null}
                  </th>
                  {p.series.map((s) => (
                    <td key={s.name}>{fmtOr(s.values[i], fmt)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

function cell(href: string | undefined, text: string): ComponentChildren {
  return href ? <a href={href}>{text}</a> : text;
}

function fmtOr(v: number | null | undefined, fmt: (v: number) => string): string {
  return v === null || v === undefined || !isFinite(v) ? '–' : fmt(v);
}

/** The polyline of the non-null values (a gap is bridged: the points stay visible). */
function linePoints(values: Array<number | null>, x: (i: number) => number, y: (v: number) => number): string {
  const out: string[] = [];
  values.forEach((v, i) => {
    if (v !== null && isFinite(v)) out.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  });
  return out.join(' ');
}
