// ANSI escape sequences in log lines: SGR colors and styles become segments with CSS class
// names (16 colors, bold, dim, italic, underline) or a CSSOM style object (256-color and
// truecolor), every other escape sequence and control character is dropped. Pure: no DOM.

export interface AnsiStyle {
  color?: string;
  backgroundColor?: string;
}

export interface Segment {
  text: string;
  /** Space-separated class names ("" for none): a-fN / a-bN (N 0-15), a-bold, a-dim,
   * a-italic, a-underline. */
  cls: string;
  /** 256-color and truecolor values, applied as element.style (CSSOM) by the renderer. */
  style?: AnsiStyle;
}

interface State {
  fg: number | string | null; // 0-15 → class; string → css color
  bg: number | string | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  inverse: boolean;
}

const fresh = (): State => ({
  fg: null,
  bg: null,
  bold: false,
  dim: false,
  italic: false,
  underline: false,
  inverse: false,
});

// The xterm 256-color palette past the 16 basic colors.
export function color256(n: number): number | string {
  if (n < 16) return n;
  if (n < 232) {
    const i = n - 16;
    const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
    return `rgb(${level(Math.floor(i / 36))},${level(Math.floor(i / 6) % 6)},${level(i % 6)})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g},${g},${g})`;
}

const clamp = (v: number) => Math.max(0, Math.min(255, v | 0));

// Applies one SGR parameter list to the state.
function applySgr(st: State, params: number[]) {
  if (params.length === 0) params = [0];
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p === 0) Object.assign(st, fresh());
    else if (p === 1) st.bold = true;
    else if (p === 2) st.dim = true;
    else if (p === 3) st.italic = true;
    else if (p === 4) st.underline = true;
    else if (p === 7) st.inverse = true;
    else if (p === 21 || p === 22) {
      st.bold = false;
      st.dim = false;
    } else if (p === 23) st.italic = false;
    else if (p === 24) st.underline = false;
    else if (p === 27) st.inverse = false;
    else if (p >= 30 && p <= 37) st.fg = p - 30;
    else if (p >= 90 && p <= 97) st.fg = p - 90 + 8;
    else if (p === 39) st.fg = null;
    else if (p >= 40 && p <= 47) st.bg = p - 40;
    else if (p >= 100 && p <= 107) st.bg = p - 100 + 8;
    else if (p === 49) st.bg = null;
    else if (p === 38 || p === 48) {
      let value: number | string | null = null;
      if (params[i + 1] === 5 && i + 2 < params.length) {
        value = color256(clamp(params[i + 2]));
        i += 2;
      } else if (params[i + 1] === 2 && i + 4 < params.length) {
        value = `rgb(${clamp(params[i + 2])},${clamp(params[i + 3])},${clamp(params[i + 4])})`;
        i += 4;
      } else {
        i = params.length; // malformed: ignore the rest
      }
      if (value !== null) {
        if (p === 38) st.fg = value;
        else st.bg = value;
      }
    }
    // anything else (blink, fonts, ...) is ignored
  }
}

function segmentOf(text: string, st: State): Segment {
  const cls: string[] = [];
  let style: AnsiStyle | undefined;
  let fg = st.fg,
    bg = st.bg;
  if (st.inverse) {
    fg = st.bg ?? 'inv-fg';
    bg = st.fg ?? 'inv-bg';
  }
  if (typeof fg === 'number') cls.push('a-f' + fg);
  else if (fg === 'inv-fg') cls.push('a-inv-f');
  else if (fg) (style ??= {}).color = fg;
  if (typeof bg === 'number') cls.push('a-b' + bg);
  else if (bg === 'inv-bg') cls.push('a-inv-b');
  else if (bg) (style ??= {}).backgroundColor = bg;
  if (st.bold) cls.push('a-bold');
  if (st.dim) cls.push('a-dim');
  if (st.italic) cls.push('a-italic');
  if (st.underline) cls.push('a-underline');
  const seg: Segment = { text, cls: cls.join(' ') };
  if (style) seg.style = style;
  return seg;
}

// CSI: ESC [ params intermediates final; OSC: ESC ] ... (BEL | ESC \); other ESC x pairs;
// C1 CSI (\x9b). Control characters other than tab are dropped.
// eslint-disable-next-line no-control-regex
const ESC_RE = /\x1b\[([0-?]*)([ -/]*)([@-~])|\x9b([0-?]*)([ -/]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[ -/]*[0-~]?|[\x00-\x08\x0b-\x1f\x7f]/g;

/** A line split into styled segments (the SGR state starts fresh on each line). */
export function parseAnsi(line: string): Segment[] {
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x08\x0b-\x1f\x7f\x9b]/.test(line)) return line ? [{ text: line, cls: '' }] : [];
  const out: Segment[] = [];
  const st = fresh();
  let last = 0;
  ESC_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ESC_RE.exec(line))) {
    if (m.index > last) out.push(segmentOf(line.slice(last, m.index), st));
    last = ESC_RE.lastIndex;
    const params = m[1] ?? m[4];
    const final = m[3] ?? m[6];
    if (final === 'm' && !(m[2] || m[5])) {
      applySgr(
        st,
        params === '' ? [] : params.split(/[;:]/).map((x) => (x === '' ? 0 : parseInt(x, 10) || 0)),
      );
    }
    if (m[0] === '') ESC_RE.lastIndex++; // never loops on an empty match
  }
  if (last < line.length) out.push(segmentOf(line.slice(last), st));
  // merge neighbours with the same look
  const merged: Segment[] = [];
  for (const s of out) {
    const p = merged[merged.length - 1];
    if (p && p.cls === s.cls && JSON.stringify(p.style) === JSON.stringify(s.style)) p.text += s.text;
    else if (s.text) merged.push({ ...s });
  }
  return merged;
}

/** The line's text without escape sequences and control characters. */
export function stripAnsi(line: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x08\x0b-\x1f\x7f\x9b]/.test(line)) return line;
  ESC_RE.lastIndex = 0;
  return line.replace(ESC_RE, '');
}

/** Splits segments at the given [start, end) ranges of the plain text, marking the pieces
 * inside a range with `mark` (its index in `ranges`). */
export function markRanges(
  segs: Segment[],
  ranges: Array<[number, number]>,
): Array<Segment & { mark?: number }> {
  if (ranges.length === 0) return segs;
  const out: Array<Segment & { mark?: number }> = [];
  let pos = 0;
  for (const s of segs) {
    const end = pos + s.text.length;
    let at = pos;
    while (at < end) {
      // the range covering `at`, or the next range start
      let mark: number | undefined;
      let stop = end;
      for (let r = 0; r < ranges.length; r++) {
        const [a, b] = ranges[r];
        if (a <= at && at < b) {
          mark = r;
          stop = Math.min(end, b);
          break;
        }
        if (a > at && a < stop) stop = a;
      }
      const piece: Segment & { mark?: number } = { ...s, text: s.text.slice(at - pos, stop - pos) };
      if (mark !== undefined) piece.mark = mark;
      out.push(piece);
      at = stop;
    }
    pos = end;
  }
  return out;
}
