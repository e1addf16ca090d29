// A job's log as the server stores it ("<RFC 3339 ms timestamp> <text>" per line, with
// "##[step] <index> <name>" at each step's start, "##[group]NAME" / "##[endgroup]" for
// ::group::, "##[error]msg" and the like for annotations), turned into numbered lines with
// folds (steps and groups) and the list of lines that are visible with the folds as they are.
// Appending is incremental, so a followed log grows without reparsing. Pure: no DOM.

import { stripAnsi } from './ansi';

export type LineKind = 'line' | 'step' | 'group' | 'error' | 'warning' | 'notice' | 'debug' | 'command';

export interface LogLine {
  /** 1-based line number (steps' header lines have their own numbers too). */
  num: number;
  /** The stamp as sent ("2026-12-06T09:00:00.123Z"), or "". */
  ts: string;
  /** The text to show, with ANSI escapes (markers replaced by their title). */
  text: string;
  /** `text` without escape sequences: what search looks at. */
  plain: string;
  kind: LineKind;
  /** Index in `folds` of the fold this line heads, or -1. */
  fold: number;
  /** Index in `folds` of the innermost fold containing this line (not heading it), or -1. */
  parent: number;
  /** Nesting depth (0 for a step header, 1 for a step's lines, ...). */
  depth: number;
  /** For step header lines: the step index and name from the marker. */
  stepIndex?: number;
}

export interface Fold {
  /** The header line's index in `lines`. */
  head: number;
  /** One past the last line inside (grows while the fold is open). */
  end: number;
  kind: 'step' | 'group';
  collapsed: boolean;
  open: boolean;
  /** The enclosing fold, or -1. */
  parent: number;
  /** Toggled by the user (automatic folding leaves it alone). */
  touched?: boolean;
}

const STAMP_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;

export function splitStamp(raw: string): [string, string] {
  const sp = raw.indexOf(' ');
  const first = sp < 0 ? raw : raw.slice(0, sp);
  if (first.length >= 20 && first.length <= 40 && STAMP_RE.test(first)) {
    return [first, sp < 0 ? '' : raw.slice(sp + 1)];
  }
  return ['', raw];
}

export class LogModel {
  lines: LogLine[] = [];
  folds: Fold[] = [];
  /** Open folds, innermost last. */
  private stack: number[] = [];
  private partial = '';
  private lowers: string[] = [];
  /** Bumped on every change, for memoization. */
  version = 0;
  /** Groups start collapsed (a completed step's log); while following they start open. */
  collapseGroups: boolean;

  constructor(collapseGroups = true) {
    this.collapseGroups = collapseGroups;
  }

  /** Adds text (any number of lines; a trailing piece without "\n" waits for the rest). */
  append(text: string, final = false) {
    let data = this.partial + text;
    this.partial = '';
    let start = 0;
    for (;;) {
      const nl = data.indexOf('\n', start);
      if (nl < 0) break;
      let line = data.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.addLine(line);
      start = nl + 1;
    }
    const rest = data.slice(start);
    if (final) {
      if (rest) this.addLine(rest);
    } else this.partial = rest;
    this.version++;
  }

  /** Ends the log: a last line without "\n" is added, open folds close. */
  finish() {
    if (this.partial) this.append('', true);
    this.endStep();
    this.stack = [];
    this.version++;
  }

  // A step ended: while following (groups start open), its groups the user left alone fold.
  private endStep() {
    const step = this.stack.length ? this.stack[0] : -1;
    this.stack.forEach((f) => (this.folds[f].open = false));
    this.stack = [];
    if (this.collapseGroups || step < 0) return;
    for (let f = step; f < this.folds.length; f++) {
      const fold = this.folds[f];
      if (fold.kind === 'group' && !fold.touched) fold.collapsed = true;
    }
  }

  private top(): number {
    return this.stack.length ? this.stack[this.stack.length - 1] : -1;
  }

  private closeTo(kind: 'step' | 'group') {
    // pops folds up to and including the innermost of `kind`
    for (let i = this.stack.length - 1; i >= 0; i--) {
      if (this.folds[this.stack[i]].kind === kind) {
        for (let j = this.stack.length - 1; j >= i; j--) this.folds[this.stack[j]].open = false;
        this.stack.length = i;
        return true;
      }
    }
    return false;
  }

  private push(ts: string, text: string, kind: LineKind, fold?: 'step' | 'group', stepIndex?: number) {
    const parent = this.top();
    const idx = this.lines.length;
    // one object shape for every line (fast property access, little garbage)
    const l: LogLine = {
      num: idx + 1,
      ts,
      text,
      plain: stripAnsi(text),
      kind,
      fold: -1,
      parent,
      depth: this.stack.length,
      stepIndex,
    };
    this.lines.push(l);
    for (let k = 0; k < this.stack.length; k++) this.folds[this.stack[k]].end = idx + 1;
    if (fold) {
      const fi = this.folds.length;
      this.folds.push({
        head: idx,
        end: idx + 1,
        kind: fold,
        collapsed: fold === 'group' && this.collapseGroups,
        open: true,
        parent,
        touched: false,
      });
      l.fold = fi;
      this.stack.push(fi);
    }
  }

  private addLine(raw: string) {
    const [ts, whole] = splitStamp(raw);
    // a carriage return rewrites the line on a terminal (progress bars): keep what was last
    let body = whole;
    if (body.indexOf('\r') >= 0) {
      const parts = body.split('\r');
      body = parts.filter((p) => p !== '').pop() ?? '';
    }
    if (body.startsWith('##[')) {
      const close = body.indexOf(']');
      const tag = close > 3 ? body.slice(3, close) : '';
      const rest = body.slice(close + 1);
      switch (tag) {
        case 'step': {
          // "##[step] <index> <name>"
          const m = /^\s*(-?\d+)\s?(.*)$/.exec(rest);
          this.endStep();
          this.push(ts, m ? m[2] : rest.trim(), 'step', 'step', m ? parseInt(m[1], 10) : undefined);
          return;
        }
        case 'group':
          this.push(ts, rest, 'group', 'group');
          return;
        case 'endgroup':
          this.closeTo('group');
          return;
        case 'error':
        case 'warning':
        case 'notice':
        case 'debug':
        case 'command':
          this.push(ts, rest, tag);
          return;
      }
    }
    if (body.startsWith('::group::')) {
      this.push(ts, body.slice(9), 'group', 'group');
      return;
    }
    if (body.startsWith('::endgroup::')) {
      this.closeTo('group');
      return;
    }
    this.push(ts, body, 'line');
  }

  /** Is line `i` hidden by a collapsed fold around it? */
  hidden(i: number): boolean {
    let f = this.lines[i].parent;
    while (f >= 0) {
      if (this.folds[f].collapsed) return true;
      f = this.folds[f].parent;
    }
    return false;
  }

  /** Opens every fold around line `i`; true when one was collapsed. */
  reveal(i: number): boolean {
    let changed = false;
    let f = this.lines[i].parent;
    while (f >= 0) {
      if (this.folds[f].collapsed) {
        this.folds[f].collapsed = false;
        this.folds[f].touched = true;
        changed = true;
      }
      f = this.folds[f].parent;
    }
    if (changed) this.version++;
    return changed;
  }

  toggle(fold: number, collapsed?: boolean) {
    const f = this.folds[fold];
    f.collapsed = collapsed ?? !f.collapsed;
    f.touched = true;
    this.version++;
  }

  /** Indices of the lines to show, folds as they are. O(lines). */
  visible(): Int32Array {
    const n = this.lines.length;
    const out = new Int32Array(n);
    let k = 0;
    let i = 0;
    while (i < n) {
      out[k++] = i;
      const f = this.lines[i].fold;
      if (f >= 0 && this.folds[f].collapsed) i = Math.max(this.folds[f].end, i + 1);
      else i++;
    }
    return out.subarray(0, k);
  }

  /** Every match of `query` (case-insensitive), in order: [line index, start, end]. */
  search(query: string, limit = 100000): Array<[number, number, number]> {
    const out: Array<[number, number, number]> = [];
    if (!query) return out;
    const q = query.toLowerCase();
    const lowers = this.lowers;
    for (let i = 0; i < this.lines.length && out.length < limit; i++) {
      // lowercase copies are made once, on the first search
      let lower = lowers[i];
      if (lower === undefined) lower = lowers[i] = this.lines[i].plain.toLowerCase();
      let at = lower.indexOf(q);
      while (at >= 0 && out.length < limit) {
        out.push([i, at, at + q.length]);
        at = lower.indexOf(q, at + Math.max(1, q.length));
      }
    }
    return out;
  }

  /** The index of the line numbered `num`, or -1. */
  indexOfNum(num: number): number {
    return num >= 1 && num <= this.lines.length ? num - 1 : -1;
  }
}
