// The arithmetic of the hand-drawn SVG line chart (run/line_chart.tsx): "nice" axis ticks, the
// value-to-pixel scale and which x labels fit. Pure, unit-tested.

export interface Ticks {
  lo: number; // the axis' bottom (a tick)
  hi: number; // the axis' top (a tick)
  step: number;
  ticks: number[]; // lo, lo + step, …, hi
}

/** A step of 1, 2, 2.5 or 5 × 10^k that cuts `span` into at most `count` parts. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw - 1e-12) return m * mag;
  return 10 * mag;
}

/** Ticks covering [min, max] with at most about `count` intervals. Integer data (`integer`)
 * gets integer steps; an empty span (all values equal) widens to one step around the value
 * (not below `floor`, e.g. 0 for counts); `ceil` caps the top (e.g. 100 for percents). */
export function niceTicks(
  min: number,
  max: number,
  opts: { count?: number; integer?: boolean; floor?: number; ceil?: number } = {},
): Ticks {
  const count = opts.count ?? 4;
  if (!isFinite(min) || !isFinite(max)) (min = 0), (max = 1);
  if (min > max) [min, max] = [max, min];
  if (max - min < 1e-9) {
    const pad = Math.max(1, Math.abs(max) * 0.05);
    min -= pad;
    max += pad;
  }
  if (opts.floor !== undefined) min = Math.max(opts.floor, min);
  if (opts.ceil !== undefined) max = Math.min(opts.ceil, max);
  let step = niceStep(max - min, count);
  if (opts.integer) step = Math.max(1, Math.ceil(step));
  let lo = Math.floor(min / step + 1e-9) * step;
  let hi = Math.ceil(max / step - 1e-9) * step;
  if (opts.floor !== undefined) lo = Math.max(lo, opts.floor);
  if (opts.ceil !== undefined) hi = Math.min(hi, opts.ceil);
  if (hi <= lo) hi = lo + step;
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step * 1e-6; v += step) ticks.push(round(v, step));
  if (ticks[ticks.length - 1] < hi - step * 1e-6) ticks.push(hi);
  return { lo, hi, step, ticks };
}

/** `v` without float noise at `step`'s precision (0.30000000000000004 → 0.3). */
function round(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return parseFloat(v.toFixed(Math.min(10, digits)));
}

/** A linear map from [d0, d1] to [r0, r1]; an empty domain maps to the middle of the range. */
export function scaleLinear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** The x of point `i` of `n` across [left, right]: evenly spaced, a single point centered. */
export function pointX(i: number, n: number, left: number, right: number): number {
  if (n <= 1) return (left + right) / 2;
  return left + ((right - left) * i) / (n - 1);
}

/** The indexes of the x labels to draw so that at most `max` appear: every k-th from the last
 * (the newest run is always labelled). */
export function labelIndexes(n: number, max: number): number[] {
  if (n <= 0) return [];
  const every = Math.max(1, Math.ceil(n / Math.max(1, max)));
  const out: number[] = [];
  for (let i = n - 1; i >= 0; i -= every) out.unshift(i);
  return out;
}

/** A tick's text: integers as they are, fractions with the step's decimals. */
export function tickLabel(v: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step) - 1e-9));
  return v.toFixed(decimals);
}
