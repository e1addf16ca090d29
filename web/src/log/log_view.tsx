// The log as a virtualized list: lines have a fixed height, only the lines in view (and a few
// around them) are in the DOM, a spacer gives the scroller the full height. Every line is text
// nodes (ANSI colors as classes, 256-color and truecolor as CSSOM styles); never innerHTML.
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { markRanges, parseAnsi, type Segment } from '../lib/ansi';
import type { LogLine, LogModel } from '../lib/log_model';

export const LINE_HEIGHT = 20;
const OVERSCAN = 20;

export interface LogViewHandle {
  /** Scrolls line `index` into view ("center" unless it is in view already). */
  scrollToLine(index: number, force?: boolean): void;
  toBottom(): void;
  atBottom(): boolean;
}

interface Props {
  model: LogModel;
  version: number;
  showTimestamps: boolean;
  /** Match ranges by line index, and the current match. */
  matches: Map<number, Array<[number, number]>>;
  current: [number, number, number] | null;
  highlight: number; // a line index, or -1
  stepAnchors: Map<number, string>; // header line index → "step-N"
  onToggle(fold: number): void;
  /** After each scroll: is the end in view, did it move up. */
  onScrolled(atBottom: boolean, movedUp: boolean): void;
  handle: { current: LogViewHandle | null };
  /** Shown when there is no line ("" for nothing). */
  empty: string;
}

function timeOf(ts: string) {
  // "2026-12-06T09:00:00.123Z" → "09:00:00.123"
  return ts.length >= 19 ? ts.slice(11, ts.length - 1) : ts;
}

const segCache = new WeakMap<LogLine, Segment[]>();
function segmentsOf(l: LogLine): Segment[] {
  let s = segCache.get(l);
  if (!s) {
    s = parseAnsi(l.text);
    segCache.set(l, s);
  }
  return s;
}

const KIND_PREFIX: Record<string, string> = { error: 'Error: ', warning: 'Warning: ', notice: 'Notice: ', debug: 'Debug: ' };

function Line(props: {
  line: LogLine;
  index: number;
  top: number;
  collapsed: boolean | null;
  showTs: boolean;
  ranges: Array<[number, number]> | undefined;
  currentRange: number; // index in ranges of the current match, or -1
  highlight: boolean;
  anchor: string | undefined;
  onToggle(fold: number): void;
}) {
  const { line: l, collapsed, ranges, currentRange } = props;
  const prefix = KIND_PREFIX[l.kind];
  const segs = ranges ? markRanges(segmentsOf(l), ranges) : segmentsOf(l);
  return (
    <div
      class={`ll k-${l.kind} d-${Math.min(l.depth, 8)}${props.highlight ? ' hl' : ''}${currentRange >= 0 ? ' cur' : ''}`}
      data-testid="log-line"
      data-line={l.num}
      id={props.anchor}
      style={{ top: props.top + 'px' }}
    >
      <a class="ln" href={`#L${l.num}`} aria-label={`Line ${l.num}`}>
        {l.num}
      </a>
      {props.showTs && (
        <span class="ts" title={l.ts}>
          {timeOf(l.ts)}
        </span>
      )}
      <span class="lt">
        {collapsed !== null ? (
          <button
            type="button"
            class="fold"
            aria-expanded={!collapsed}
            aria-label={(collapsed ? 'Expand ' : 'Collapse ') + l.plain}
            onClick={() => props.onToggle(l.fold)}
          >
            {collapsed ? '▸' : '▾'}
          </button>
        ) : null}
        {prefix && <span class="kind">{prefix}</span>}
        {segs.map((s, i) => {
          const mark = (s as { mark?: number }).mark;
          const cls = s.cls + (mark !== undefined ? (mark === currentRange ? ' m cur-m' : ' m') : '');
          return cls || s.style ? (
            <span key={i} class={cls || undefined} style={s.style as Record<string, string> | undefined}>
              {s.text}
            </span>
          ) : (
            s.text
          );
        })}
      </span>
    </div>
  );
}

function lowerBound(arr: Int32Array, x: number): number {
  let lo = 0,
    hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function LogView(props: Props) {
  const { model, version, matches, current } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  const visible = useMemo(() => model.visible(), [model, version]);
  const lastTop = useRef(0);

  const measure = () => {
    const el = scroller.current;
    if (!el) return;
    setView((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight }));
  };

  useLayoutEffect(() => {
    measure();
    const el = scroller.current!;
    let frame = 0;
    const onScroll = () => {
      if (!frame)
        frame = requestAnimationFrame(() => {
          frame = 0;
          measure();
        });
      const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - LINE_HEIGHT * 2;
      // following only ever scrolls down: a move up is the reader's
      const up = el.scrollTop < lastTop.current - 1;
      lastTop.current = el.scrollTop;
      props.onScrolled(atBottom, up);
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => {
      el.removeEventListener('scroll', onScroll);
      ro.disconnect();
      cancelAnimationFrame(frame);
    };
  }, []);

  const setTop = (top: number) => {
    const el = scroller.current;
    if (!el) return;
    el.scrollTop = top;
    measure();
  };

  props.handle.current = {
    scrollToLine(index, force) {
      const el = scroller.current;
      if (!el) return;
      const vis = model.visible();
      let pos = lowerBound(vis, index);
      if (pos >= vis.length) pos = vis.length - 1;
      const y = pos * LINE_HEIGHT;
      if (!force && y >= el.scrollTop && y + LINE_HEIGHT <= el.scrollTop + el.clientHeight) return;
      setTop(Math.max(0, y - el.clientHeight / 3));
    },
    toBottom() {
      const el = scroller.current;
      if (el) setTop(el.scrollHeight);
    },
    atBottom() {
      const el = scroller.current;
      return !el || el.scrollTop + el.clientHeight >= el.scrollHeight - LINE_HEIGHT * 2;
    },
  };

  const total = visible.length;
  const first = Math.max(0, Math.floor(view.top / LINE_HEIGHT) - OVERSCAN);
  const last = Math.min(total, Math.ceil((view.top + view.height) / LINE_HEIGHT) + OVERSCAN);
  const rows = [];
  for (let k = first; k < last; k++) {
    const i = visible[k];
    const l = model.lines[i];
    const ranges = matches.get(i);
    let currentRange = -1;
    if (current && current[0] === i && ranges) {
      currentRange = ranges.findIndex((r) => r[0] === current[1]);
    }
    rows.push(
      <Line
        key={i}
        line={l}
        index={i}
        top={k * LINE_HEIGHT}
        collapsed={l.fold >= 0 && model.folds[l.fold].end > i + 1 ? model.folds[l.fold].collapsed : null}
        showTs={props.showTimestamps}
        ranges={ranges}
        currentRange={currentRange}
        highlight={props.highlight === i}
        anchor={l.kind === 'step' ? props.stepAnchors.get(i) : undefined}
        onToggle={props.onToggle}
      />,
    );
  }
  return (
    <div class={`log${props.showTimestamps ? ' with-ts' : ''}`} data-testid="log" ref={scroller} tabIndex={0} role="log" aria-label="Job log">
      <div class="log-spacer" style={{ height: total * LINE_HEIGHT + 'px' }}>
        {rows}
      </div>
      {total === 0 && props.empty && <p class="log-empty">{props.empty}</p>}
    </div>
  );
}
