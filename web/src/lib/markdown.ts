// A small, safe Markdown parser for step summaries ($GITHUB_STEP_SUMMARY): headings,
// paragraphs, emphasis, strikethrough, code spans, fenced and indented code blocks, block
// quotes, lists, GFM tables, rules and links. It produces a tree of plain objects that
// markdown_view.tsx turns into Preact elements (text nodes only, never innerHTML):
// - raw HTML is not interpreted, it stays text;
// - a link keeps its URL only when it is http(s), mailto or relative (safeUrl), otherwise
//   its text is shown without a link;
// - images are never loaded: their alt text is shown.
// Pure: no DOM.

export type Inline =
  | { t: 'text'; v: string }
  | { t: 'code'; v: string }
  | { t: 'em' | 'strong' | 'del'; c: Inline[] }
  | { t: 'link'; href: string; c: Inline[] }
  | { t: 'img'; alt: string }
  | { t: 'br' };

export type Align = 'left' | 'center' | 'right' | null;

export type Block =
  | { t: 'h'; level: number; c: Inline[] }
  | { t: 'p'; c: Inline[] }
  | { t: 'pre'; lang: string; v: string }
  | { t: 'quote'; c: Block[] }
  | { t: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { t: 'table'; align: Align[]; head: Inline[][]; rows: Inline[][][] }
  | { t: 'hr' };

/** The URL when it is safe to link to (http, https, mailto, or relative), else null. */
export function safeUrl(url: string): string | null {
  const u = url.trim();
  // browsers ignore tabs, newlines and leading control characters/spaces in a scheme
  // eslint-disable-next-line no-control-regex
  const squeezed = u.replace(/[\x00-\x20\x7f]+/g, '');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(squeezed);
  if (scheme) {
    const s = scheme[1].toLowerCase();
    return s === 'http' || s === 'https' || s === 'mailto' ? u : null;
  }
  // no scheme: relative ("/x", "x/y", "#a", "?q"); "//host" is protocol-relative: fine (http/s)
  // a colon before any / ? # would be a scheme a browser might still read: refuse
  if (/^[^/?#]*:/.test(squeezed)) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(u)) return null;
  return u;
}

// ---------- inline ----------

const PUNCT_ESC = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/;

// For each "[" of `s`, the index of its "]" (or -1), skipping escapes and code spans: one
// pass, so a summary full of "[" stays linear.
function bracketMatches(s: string): Int32Array {
  const close = new Int32Array(s.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > 0) i = end;
    } else if (c === '[') stack.push(i);
    else if (c === ']' && stack.length) close[stack.pop()!] = i;
  }
  return close;
}

// "(url "title")" after a link's text: [url, end index] or null.
function linkDest(s: string, at: number): [string, number] | null {
  if (s[at] !== '(') return null;
  let i = at + 1;
  while (s[i] === ' ') i++;
  let url = '';
  if (s[i] === '<') {
    const end = s.indexOf('>', i);
    if (end < 0) return null;
    url = s.slice(i + 1, end);
    i = end + 1;
  } else {
    let depth = 0;
    const start = i;
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === '\\') {
        i++;
        continue;
      }
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      } else if (c === ' ') break;
    }
    url = s.slice(start, i);
  }
  while (s[i] === ' ') i++;
  if (s[i] === '"' || s[i] === "'") {
    const q = s[i];
    const end = s.indexOf(q, i + 1);
    if (end < 0) return null;
    i = end + 1;
    while (s[i] === ' ') i++;
  }
  if (s[i] !== ')') return null;
  return [url.replace(/\\([!-/:-@[-`{-~])/g, '$1'), i + 1];
}

function plainText(c: Inline[]): string {
  return c
    .map((x) => (x.t === 'text' || x.t === 'code' ? x.v : x.t === 'img' ? x.alt : 'c' in x ? plainText(x.c) : ''))
    .join('');
}

export function parseInline(s: string, inLink = false, depth = 0): Inline[] {
  if (depth > 40) return s ? [{ t: 'text', v: s }] : [];
  const out: Inline[] = [];
  let buf = '';
  const flush = () => {
    if (buf) {
      const last = out[out.length - 1];
      if (last && last.t === 'text') last.v += buf;
      else out.push({ t: 'text', v: buf });
      buf = '';
    }
  };
  let brackets: Int32Array | null = null;
  const closeOf = (open: number) => (brackets ??= bracketMatches(s))[open];
  // emphasis markers with no closer after some position: later openers skip the search
  const noCloser: Record<string, number> = {};
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      if (s[i + 1] === '\n') {
        flush();
        out.push({ t: 'br' });
        i += 2;
        continue;
      }
      if (PUNCT_ESC.test(s[i + 1])) {
        buf += s[i + 1];
        i += 2;
        continue;
      }
    }
    if (c === '\n') {
      // two trailing spaces: a hard break
      if (buf.endsWith('  ')) {
        buf = buf.replace(/ +$/, '');
        flush();
        out.push({ t: 'br' });
      } else {
        buf = buf.replace(/ +$/, '') + '\n';
      }
      i++;
      continue;
    }
    if (c === '`') {
      let n = 1;
      while (s[i + n] === '`') n++;
      const fence = '`'.repeat(n);
      const end = s.indexOf(fence, i + n);
      if (end > 0 && s[end + n] !== '`') {
        flush();
        let v = s.slice(i + n, end).replace(/\n/g, ' ');
        if (v.length > 2 && v.startsWith(' ') && v.endsWith(' ') && v.trim()) v = v.slice(1, -1);
        out.push({ t: 'code', v });
        i = end + n;
        continue;
      }
      buf += fence;
      i += n;
      continue;
    }
    if (c === '!' && s[i + 1] === '[') {
      const close = closeOf(i + 1);
      if (close > 0) {
        const dest = linkDest(s, close + 1);
        if (dest) {
          flush();
          out.push({ t: 'img', alt: plainText(parseInline(s.slice(i + 2, close), true, depth + 1)) });
          i = dest[1];
          continue;
        }
      }
    }
    if (c === '[' && !inLink) {
      const close = closeOf(i);
      if (close > 0) {
        const dest = linkDest(s, close + 1);
        if (dest) {
          flush();
          const inner = parseInline(s.slice(i + 1, close), true, depth + 1);
          const href = safeUrl(dest[0]);
          if (href !== null) out.push({ t: 'link', href, c: inner });
          else out.push(...inner);
          i = dest[1];
          continue;
        }
      }
    }
    if (c === '<' && !inLink) {
      // autolinks <https://x> and <a@b.c>; anything else (raw HTML) stays text
      const m = /^<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>/.exec(s.slice(i));
      if (m) {
        const url = m[1].includes(':') ? m[1] : 'mailto:' + m[1];
        const href = safeUrl(url);
        flush();
        if (href !== null) out.push({ t: 'link', href, c: [{ t: 'text', v: m[1] }] });
        else out.push({ t: 'text', v: m[0] });
        i += m[0].length;
        continue;
      }
    }
    if (c === '*' || c === '_' || c === '~') {
      let n = 1;
      while (s[i + n] === c) n++;
      const prev = i > 0 ? s[i - 1] : ' ';
      const next = s[i + n] ?? ' ';
      const canOpen = !/\s/.test(next) && (c !== '_' || !/[A-Za-z0-9]/.test(prev));
      if (canOpen && (c !== '~' || n === 2)) {
        const use = c === '~' ? 2 : Math.min(n, 3) >= 2 ? (n >= 3 ? 3 : 2) : 1;
        const marker = c.repeat(use);
        // the closing run: same marker, not preceded by whitespace
        let j = i + use;
        let found = -1;
        if (noCloser[marker] !== undefined && i >= noCloser[marker]) j = s.length;
        while (j < s.length) {
          const k = s.indexOf(marker, j);
          if (k < 0) break;
          if (k > i + use && !/\s/.test(s[k - 1]) && s[k - 1] !== '\\' && (c !== '_' || !/[A-Za-z0-9]/.test(s[k + use] ?? ' '))) {
            // skip over code spans in between
            const between = s.slice(i + use, k);
            const ticks = (between.match(/`/g) || []).length;
            if (ticks % 2 === 0) {
              found = k;
              break;
            }
          }
          j = k + 1;
        }
        if (found < 0) noCloser[marker] = Math.min(noCloser[marker] ?? i, i);
        if (found > 0) {
          flush();
          const inner = parseInline(s.slice(i + use, found), inLink, depth + 1);
          if (c === '~') out.push({ t: 'del', c: inner });
          else if (use === 3) out.push({ t: 'strong', c: [{ t: 'em', c: inner }] });
          else out.push({ t: use === 2 ? 'strong' : 'em', c: inner });
          i = found + use;
          continue;
        }
      }
      buf += s.slice(i, i + n);
      i += n;
      continue;
    }
    if (!inLink && (c === 'h' || c === 'H') && /^https?:\/\//i.test(s.slice(i, i + 8))) {
      const prev = i > 0 ? s[i - 1] : ' ';
      if (!/[A-Za-z0-9]/.test(prev)) {
        const m = /^https?:\/\/[^\s<>]+/i.exec(s.slice(i));
        if (m) {
          let url = m[0].replace(/[.,:;!?'"*_~]+$/, '');
          if (url.endsWith(')') && !url.includes('(')) url = url.slice(0, -1);
          flush();
          out.push({ t: 'link', href: url, c: [{ t: 'text', v: url }] });
          i += url.length;
          continue;
        }
      }
    }
    buf += c;
    i++;
  }
  flush();
  return out;
}

// ---------- blocks ----------

const HR_RE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const HEADING_RE = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE_RE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const LIST_RE = /^( {0,3})([-*+]|\d{1,9}[.)])(?:[ \t]+|$)/;
const QUOTE_RE = /^ {0,3}> ?/;

function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells: string[] = [];
  let cur = '';
  let inCode = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && s[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (c === '`') {
      inCode = !inCode;
      cur += c;
    } else if (c === '|' && !inCode) {
      cells.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

const DELIM_RE = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

function startsBlock(line: string): boolean {
  return (
    HR_RE.test(line) || HEADING_RE.test(line) || FENCE_RE.test(line) || QUOTE_RE.test(line) || LIST_RE.test(line)
  );
}

export function parseBlocks(src: string, depth = 0): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = FENCE_RE.exec(line))) {
      const fence = m[1];
      const indent = line.length - line.trimStart().length;
      const body: string[] = [];
      i++;
      while (i < lines.length) {
        const l = lines[i];
        const t = l.trimStart();
        if (t.startsWith(fence[0].repeat(fence.length)) && /^[`~]+\s*$/.test(t)) {
          i++;
          break;
        }
        body.push(l.slice(Math.min(indent, l.length - t.length)));
        i++;
      }
      out.push({ t: 'pre', lang: m[2], v: body.join('\n') });
      continue;
    }
    if (HR_RE.test(line)) {
      out.push({ t: 'hr' });
      i++;
      continue;
    }
    if ((m = HEADING_RE.exec(line))) {
      out.push({ t: 'h', level: m[1].length, c: parseInline(m[2] ?? '') });
      i++;
      continue;
    }
    if (/^ {4}/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && (/^ {4}/.test(lines[i]) || !lines[i].trim())) {
        body.push(lines[i].slice(4));
        i++;
      }
      while (body.length && !body[body.length - 1].trim()) body.pop();
      out.push({ t: 'pre', lang: '', v: body.join('\n') });
      continue;
    }
    if (QUOTE_RE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && lines[i].trim() && (QUOTE_RE.test(lines[i]) || !startsBlock(lines[i]))) {
        body.push(lines[i].replace(QUOTE_RE, ''));
        i++;
      }
      out.push({ t: 'quote', c: depth < 20 ? parseBlocks(body.join('\n'), depth + 1) : [{ t: 'p', c: [{ t: 'text', v: body.join('\n') }] }] });
      continue;
    }
    if ((m = LIST_RE.exec(line))) {
      const ordered = /\d/.test(m[2]);
      const bullet = m[2].slice(-1);
      const start = ordered ? parseInt(m[2], 10) : 1;
      const items: Block[][] = [];
      while (i < lines.length) {
        const lm = LIST_RE.exec(lines[i]);
        if (!lm || /\d/.test(lm[2]) !== ordered || lm[2].slice(-1) !== bullet || HR_RE.test(lines[i])) break;
        const contentIndent = lm[0].length || lm[1].length + lm[2].length + 1;
        const body: string[] = [lines[i].slice(lm[0].length)];
        i++;
        while (i < lines.length) {
          const l = lines[i];
          if (!l.trim()) {
            // a blank line continues the item when the next line is indented into it
            const next = lines[i + 1];
            if (next !== undefined && next.trim() && next.length - next.trimStart().length >= contentIndent) {
              body.push('');
              i++;
              continue;
            }
            break;
          }
          const ind = l.length - l.trimStart().length;
          if (ind >= contentIndent) body.push(l.slice(contentIndent));
          else if (LIST_RE.test(l) || startsBlock(l)) break;
          else body.push(l.trimStart()); // lazy continuation
          i++;
        }
        items.push(depth < 20 ? parseBlocks(body.join('\n'), depth + 1) : [{ t: 'p', c: [{ t: 'text', v: body.join('\n') }] }]);
        // a blank line between items
        if (i < lines.length && !lines[i].trim() && i + 1 < lines.length && LIST_RE.test(lines[i + 1])) i++;
      }
      out.push({ t: 'list', ordered, start, items });
      continue;
    }
    // a table: header row, delimiter row
    if (line.includes('|') && i + 1 < lines.length && DELIM_RE.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      const head = splitRow(line);
      const delims = splitRow(lines[i + 1]);
      if (delims.length === head.length) {
        const align: Align[] = delims.map((d) =>
          d.startsWith(':') && d.endsWith(':') ? 'center' : d.endsWith(':') ? 'right' : d.startsWith(':') ? 'left' : null,
        );
        const rows: Inline[][][] = [];
        i += 2;
        while (i < lines.length && lines[i].trim() && lines[i].includes('|') && !startsBlock(lines[i])) {
          const cells = splitRow(lines[i]);
          const row: Inline[][] = [];
          for (let k = 0; k < head.length; k++) row.push(parseInline(cells[k] ?? ''));
          rows.push(row);
          i++;
        }
        out.push({
          t: 'table',
          align: head.map((_, k) => align[k] ?? null),
          head: head.map((h) => parseInline(h)),
          rows,
        });
        continue;
      }
    }
    // a paragraph (a setext heading when underlined)
    const para: string[] = [];
    while (i < lines.length && lines[i].trim()) {
      if (para.length && startsBlock(lines[i]) && !/^ {0,3}(=+|-+)\s*$/.test(lines[i])) break;
      if (para.length && /^ {0,3}(=+|-+)\s*$/.test(lines[i])) {
        out.push({ t: 'h', level: lines[i].trim()[0] === '=' ? 1 : 2, c: parseInline(para.join('\n').trim()) });
        para.length = 0;
        i++;
        break;
      }
      if (para.length && lines[i].includes('|') && i + 1 < lines.length && DELIM_RE.test(lines[i + 1])) break;
      para.push(lines[i].replace(/^ {1,3}/, ''));
      i++;
    }
    if (para.length) out.push({ t: 'p', c: parseInline(para.join('\n').trim()) });
  }
  return out;
}

export function parseMarkdown(src: string): Block[] {
  // a summary is at most 1 MiB on the server; cap the work anyway
  return parseBlocks(src.length > 2_000_000 ? src.slice(0, 2_000_000) : src);
}
