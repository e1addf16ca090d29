// Unit tests of the pure modules in src/lib (npm run test:unit: bundled by rolldown, run by
// node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnsi, stripAnsi, markRanges, color256 } from '../src/lib/ansi';
import { LogModel, splitStamp } from '../src/lib/log_model';
import { parseMarkdown, parseInline, safeUrl } from '../src/lib/markdown';
import { blockNodes } from '../src/lib/markdown_view';
import { layoutDag, depths, groupState } from '../src/lib/dag';
import { initialValues, dispatchBody, workflowKey } from '../src/pages/run_workflow';
import type { DispatchInput, Project } from '../src/api';
import { settingsChanges } from '../src/pages/project_general';
import './reports.test';
import './settings.test';
import './environments.test';
import { graphGroups, stepAnchors, orderedSteps, stepAnchor, canWrite, formatBytes, type JobX, type StepX } from '../src/lib/run_types';

// A VNode tree as HTML, escaping text and attributes as the DOM would (what a user could see).
function html(v: any): string {
  if (v === null || v === undefined || v === false || v === true) return '';
  if (Array.isArray(v)) return v.map(html).join('');
  if (typeof v === 'string' || typeof v === 'number')
    return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const { children, ...props } = v.props ?? {};
  const attrs = Object.entries(props)
    .filter(([k, x]) => x !== undefined && k !== 'key')
    .map(([k, x]) => ` ${k}="${String(x).replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`)
    .join('');
  return `<${v.type}${attrs}>${html(children)}</${v.type}>`;
}
const md = (s: string) => html(blockNodes(parseMarkdown(s)));

// ---------- ANSI ----------

test('ansi: plain text is one segment', () => {
  assert.deepEqual(parseAnsi('hello'), [{ text: 'hello', cls: '' }]);
  assert.deepEqual(parseAnsi(''), []);
});

test('ansi: 16 colors, bright, backgrounds, styles and reset', () => {
  const s = parseAnsi('\x1b[31mred\x1b[0m \x1b[1;92mbold green\x1b[22m\x1b[44m on blue\x1b[m end');
  assert.deepEqual(s, [
    { text: 'red', cls: 'a-f1' },
    { text: ' ', cls: '' },
    { text: 'bold green', cls: 'a-f10 a-bold' },
    { text: ' on blue', cls: 'a-f10 a-b4' },
    { text: ' end', cls: '' },
  ]);
  assert.equal(parseAnsi('\x1b[2;3;4mx')[0].cls, 'a-dim a-italic a-underline');
  assert.equal(parseAnsi('\x1b[101mx')[0].cls, 'a-b9');
  assert.equal(parseAnsi('\x1b[31m\x1b[39mx')[0].cls, '');
});

test('ansi: 256 colors and truecolor become a style', () => {
  assert.deepEqual(parseAnsi('\x1b[38;5;196mx'), [{ text: 'x', cls: '', style: { color: 'rgb(255,0,0)' } }]);
  assert.deepEqual(parseAnsi('\x1b[38;5;3mx'), [{ text: 'x', cls: 'a-f3' }]);
  assert.deepEqual(parseAnsi('\x1b[48;2;10;20;300mx'), [{ text: 'x', cls: '', style: { backgroundColor: 'rgb(10,20,255)' } }]);
  assert.equal(color256(232), 'rgb(8,8,8)');
  // a hostile "color" cannot inject CSS: values are numbers
  const s = parseAnsi('\x1b[38;2;1;2;3);background:url(x)m y');
  for (const seg of s) assert.ok(!seg.style || /^rgb\(\d+,\d+,\d+\)$/.test(seg.style.color ?? 'rgb(0,0,0)'));
});

test('ansi: other escapes and control characters are stripped', () => {
  assert.equal(stripAnsi('\x1b[2K\x1b[1Gab\x1b]0;title\x07c\x1b]8;;http://x\x1b\\d\x1b(Be\x07\x08f\tg'), 'abcdef\tg');
  assert.deepEqual(parseAnsi('a\x1b[?25lb\rc'), [{ text: 'abc', cls: '' }]);
  assert.equal(stripAnsi('\x1b[31mred\x1b[0m'), 'red');
});

test('ansi: hostile HTML stays text', () => {
  const segs = parseAnsi('\x1b[31m<img src=x onerror=alert(1)>\x1b[0m<script>alert(1)</script>');
  assert.equal(segs.map((s) => s.text).join(''), '<img src=x onerror=alert(1)><script>alert(1)</script>');
});

test('ansi: markRanges splits segments at matches', () => {
  const segs = parseAnsi('ab\x1b[31mcdef');
  const m = markRanges(segs, [[1, 3], [4, 5]]);
  assert.deepEqual(
    m.map((s) => [s.text, s.cls, s.mark]),
    [
      ['a', '', undefined],
      ['b', '', 0],
      ['c', 'a-f1', 0],
      ['d', 'a-f1', undefined],
      ['e', 'a-f1', 1],
      ['f', 'a-f1', undefined],
    ],
  );
});

// ---------- the log model ----------

const T = '2026-12-06T09:00:00.123Z ';

test('log: stamps are split off', () => {
  assert.deepEqual(splitStamp(T + 'hi there'), ['2026-12-06T09:00:00.123Z', 'hi there']);
  assert.deepEqual(splitStamp('no stamp'), ['', 'no stamp']);
});

test('log: steps, groups and annotations', () => {
  const m = new LogModel(true);
  m.append(
    [
      T + 'before',
      T + '##[step] 0 Build',
      T + 'one',
      T + '##[group]Install deps',
      T + 'dep a',
      T + 'dep b',
      T + '##[endgroup]',
      T + '##[error]boom',
      T + '##[step] 1 Test',
      T + '::group::raw group',
      T + 'inside',
      T + '::endgroup::',
      T + 'after',
    ].join('\n') + '\n',
  );
  m.finish();
  const kinds = m.lines.map((l) => `${l.num}:${l.kind}:${l.plain}:${l.depth}`);
  assert.deepEqual(kinds, [
    '1:line:before:0',
    '2:step:Build:0',
    '3:line:one:1',
    '4:group:Install deps:1',
    '5:line:dep a:2',
    '6:line:dep b:2',
    '7:error:boom:1',
    '8:step:Test:0',
    '9:group:raw group:1',
    '10:line:inside:2',
    '11:line:after:1',
  ]);
  assert.equal(m.lines[1].stepIndex, 0);
  assert.equal(m.lines[7].stepIndex, 1);
  // groups start collapsed
  assert.deepEqual(Array.from(m.visible()).map((i) => i + 1), [1, 2, 3, 4, 7, 8, 9, 11]);
  assert.ok(m.hidden(4));
  // search finds lines in folded groups; reveal unfolds them
  const hits = m.search('DEP');
  assert.deepEqual(hits, [
    [3, 8, 11],
    [4, 0, 3],
    [5, 0, 3],
  ]);
  assert.ok(m.reveal(4));
  assert.ok(!m.hidden(4));
  assert.deepEqual(Array.from(m.visible()).map((i) => i + 1), [1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
  // collapsing a step hides its lines
  m.toggle(m.lines[1].fold, true);
  assert.deepEqual(Array.from(m.visible()).map((i) => i + 1), [1, 2, 8, 9, 11]);
});

test('log: appending in pieces keeps partial lines', () => {
  const m = new LogModel(false);
  m.append(T + 'ab');
  assert.equal(m.lines.length, 0);
  m.append('c\n' + T + '##[group]g\n' + T + 'x\n');
  assert.deepEqual(m.lines.map((l) => l.plain), ['abc', 'g', 'x']);
  assert.equal(m.folds[0].collapsed, false);
  assert.equal(m.folds[0].end, 3);
  m.append(T + 'y\n' + T + '##[endgroup]\n' + T + 'z');
  m.finish();
  assert.deepEqual(m.lines.map((l) => `${l.plain}:${l.depth}`), ['abc:0', 'g:0', 'x:1', 'y:1', 'z:0']);
  assert.equal(m.folds[0].end, 4);
});

test('log: while following, groups start open and fold when their step ends', () => {
  const m = new LogModel(false);
  m.append(T + '##[step] 0 A\n' + T + '##[group]g1\n' + T + 'x\n' + T + '##[endgroup]\n' + T + '##[group]g2\n' + T + 'y\n' + T + '##[endgroup]\n');
  assert.deepEqual(m.folds.map((f) => f.collapsed), [false, false, false]);
  m.toggle(2, false); // the reader opened g2 (touched): it stays open
  m.append(T + '##[step] 1 B\n' + T + '##[group]g3\n' + T + 'z\n');
  assert.deepEqual(m.folds.map((f) => f.collapsed), [false, true, false, false, false]);
  m.finish();
  assert.deepEqual(m.folds.map((f) => f.collapsed), [false, true, false, false, true]);
});

test('log: a carriage return keeps the last rewrite of the line', () => {
  const m = new LogModel();
  m.append(T + '10%\r50%\r100%\n' + T + 'done\r\n');
  assert.deepEqual(m.lines.map((l) => l.plain), ['100%', 'done']);
});

test('log: hostile lines are kept as text', () => {
  const m = new LogModel();
  m.append(T + '<img src=x onerror=alert(1)>\n' + T + '<script>alert(1)</script>\n');
  assert.equal(m.lines[0].text, '<img src=x onerror=alert(1)>');
  assert.equal(m.lines[1].plain, '<script>alert(1)</script>');
});

test('log: 100k lines parse and search quickly', () => {
  const m = new LogModel();
  const parts: string[] = [];
  for (let i = 0; i < 100000; i++) parts.push(`${T}line ${i} \x1b[32mok\x1b[0m some text`);
  const t0 = performance.now();
  m.append(parts.join('\n') + '\n');
  const t1 = performance.now();
  const hits = m.search('line 9999');
  const t2 = performance.now();
  assert.equal(m.lines.length, 100000);
  assert.equal(hits.length, 11); // 9999 and 99990-99999
  assert.ok(t1 - t0 < 2000, `parse took ${t1 - t0} ms`);
  assert.ok(t2 - t1 < 500, `search took ${t2 - t1} ms`);
  console.log(`  100k lines: parse ${(t1 - t0).toFixed(0)} ms, search ${(t2 - t1).toFixed(0)} ms`);
});

// ---------- Markdown ----------

test('md: headings, paragraphs, emphasis, code', () => {
  assert.equal(md('# Title'), '<h2 class="md-h1">Title</h2>');
  assert.equal(md('a *b* **c** ~~d~~ `<e>`'), '<p>a <em>b</em> <strong>c</strong> <del>d</del> <code>&lt;e&gt;</code></p>');
  assert.equal(md('```sh\necho <hi>\n```'), '<pre><code>echo &lt;hi&gt;</code></pre>');
  assert.equal(md('Setext\n==='), '<h2 class="md-h1">Setext</h2>');
});

test('md: lists and tables', () => {
  assert.equal(md('- a\n- b *c*'), '<ul><li>a</li><li>b <em>c</em></li></ul>');
  assert.equal(md('3. x\n4. y'), '<ol start="3"><li>x</li><li>y</li></ol>');
  assert.equal(
    md('| A | B |\n|:--|--:|\n| 1 | `x|y` |\n| 2 |'),
    '<div class="md-table"><table><thead><tr><th class="al-left">A</th><th class="al-right">B</th></tr></thead>' +
      '<tbody><tr><td class="al-left">1</td><td class="al-right"><code>x|y</code></td></tr>' +
      '<tr><td class="al-left">2</td><td class="al-right"></td></tr></tbody></table></div>',
  );
});

test('md: safe links only', () => {
  assert.equal(md('[x](https://e.com/a)'), '<p><a href="https://e.com/a" rel="noopener noreferrer nofollow" target="_blank">x</a></p>');
  assert.equal(md('[x](javascript:alert(1))'), '<p>x</p>');
  assert.equal(md('[x]( JaVaScRiPt:alert(1))'), '<p>x</p>');
  assert.ok(!md('[x](java\tscript:alert(1))').includes('<a'));
  assert.ok(!md('[x](<java\nscript:alert(1)>)').includes('<a'));
  assert.equal(md('[x](data:text/html,<script>alert(1)</script>)'), '<p>x</p>');
  assert.equal(md('[x](vbscript:msgbox)'), '<p>x</p>');
  assert.equal(md('<javascript:alert(1)>'), '<p>&lt;javascript:alert(1)&gt;</p>');
  assert.equal(md('[m](mailto:a@b.c) [r](../x#y)'), '<p><a href="mailto:a@b.c" rel="noopener noreferrer nofollow" target="_blank">m</a> <a href="../x#y" rel="noopener noreferrer nofollow" target="_blank">r</a></p>');
  assert.equal(safeUrl('javascript&colon;alert(1)'), 'javascript&colon;alert(1)'); // relative: harmless as href
  assert.equal(safeUrl('\x01javascript:alert(1)'), null);
  assert.equal(safeUrl('https://x'), 'https://x');
  assert.equal(safeUrl('/p?q=a:b'), '/p?q=a:b');
  assert.equal(safeUrl('a:b'), null);
});

test('md: raw HTML is text, images are not loaded', () => {
  const out = md('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<div onclick="x">hi</div>');
  assert.equal(
    out,
    '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><p>&lt;img src=x onerror=alert(1)&gt;</p><p>&lt;div onclick="x"&gt;hi&lt;/div&gt;</p>',
  );
  assert.ok(!/<(script|img|div)/i.test(out));
  assert.equal(md('![logo](https://evil.example/x.png)'), '<p><span class="md-img" title="image not loaded">[logo]</span></p>');
  assert.equal(md('[![a](https://e/x.png)](https://e)'), '<p><a href="https://e" rel="noopener noreferrer nofollow" target="_blank"><span class="md-img" title="image not loaded">[a]</span></a></p>');
});

test('md: autolinks and escapes', () => {
  assert.deepEqual(parseInline('see https://e.com/x.'), [
    { t: 'text', v: 'see ' },
    { t: 'link', href: 'https://e.com/x', c: [{ t: 'text', v: 'https://e.com/x' }] },
    { t: 'text', v: '.' },
  ]);
  assert.equal(md('\\*not em\\*'), '<p>*not em*</p>');
  assert.equal(md('snake_case_name'), '<p>snake_case_name</p>');
});

test('md: pathological inputs stay fast', () => {
  const inputs = ['*a '.repeat(30000), '_a '.repeat(30000), '['.repeat(30000) + 'x', '[a](b '.repeat(10000), '`a '.repeat(30000)];
  let nested = '';
  for (let k = 0; k < 3000; k++) nested += (k % 2 ? '_' : '*') + k + ' ';
  for (let k = 2999; k >= 0; k--) nested += k + (k % 2 ? '_' : '*') + ' ';
  inputs.push(nested);
  for (const src of inputs) {
    const t = performance.now();
    md(src);
    assert.ok(performance.now() - t < 1000, `${src.slice(0, 10)}… took ${performance.now() - t} ms`);
  }
});

test('md: deep nesting does not blow the stack', () => {
  const out = md('>'.repeat(5000) + ' x');
  assert.ok(out.includes('x'));
  assert.ok(md('['.repeat(5000) + 'x').length > 0);
});

// ---------- the DAG ----------

test('dag: depths and columns', () => {
  const nodes = [
    { id: 'build', needs: [] },
    { id: 'lint', needs: [] },
    { id: 'test', needs: ['build'] },
    { id: 'deploy', needs: ['test', 'lint', 'missing'] },
  ];
  const d = depths(nodes);
  assert.deepEqual([...d.entries()], [
    ['build', 0],
    ['lint', 0],
    ['test', 1],
    ['deploy', 2],
  ]);
  const l = layoutDag(nodes, () => 40, { width: 100, colGap: 50, rowGap: 10, pad: 0 });
  assert.deepEqual(l.columns, [['build', 'lint'], ['test'], ['deploy']]);
  assert.deepEqual(l.nodes.get('lint'), { id: 'lint', col: 0, row: 1, x: 0, y: 50, w: 100, h: 40 });
  assert.equal(l.nodes.get('deploy')!.x, 300);
  assert.equal(l.edges.length, 3);
  assert.equal(l.edges[0].d, 'M100 18 C125 18 125 18 150 18');
  assert.equal(l.width, 400);
  assert.equal(l.height, 90);
});

test('dag: cycles and self-needs do not loop', () => {
  const d = depths([
    { id: 'a', needs: ['b'] },
    { id: 'b', needs: ['a'] },
    { id: 'c', needs: ['c'] },
  ]);
  assert.equal(d.size, 3);
});

test('dag: group states', () => {
  assert.equal(groupState(['success', 'failure', 'in_progress']), 'in_progress');
  assert.equal(groupState(['success', 'failure', 'queued']), 'failure');
  assert.equal(groupState(['success', 'in_progress']), 'in_progress');
  assert.equal(groupState(['success', 'skipped']), 'success');
  assert.equal(groupState(['skipped']), 'skipped');
  assert.equal(groupState([]), 'waiting');
});

// ---- run and job helpers ----

const st = (index: number, name: string, stage = ''): StepX =>
  ({ number: index + 1, index, stage, name, status: 'completed', conclusion: 'success', started_at: null, completed_at: null }) as StepX;
const jb = (id: number, job_id: string, name: string, extra: Partial<JobX> = {}): JobX =>
  ({ id, run_id: 1, attempt: 1, job_id, instance: 0, name, status: 'completed', conclusion: 'success', matrix: {}, error: '', executor: '', labels: [], created_at: null, started_at: null, completed_at: null, steps: [], ...extra }) as JobX;

test('graph: derived from the jobs without the server graph', () => {
  const g = graphGroups([jb(3, 'test', 'test (2)', { matrix: { n: 2 }, needs: ['build'] }), jb(1, 'build', 'build'), jb(2, 'test', 'test (1)', { matrix: { n: 1 }, needs: ['build'] })], undefined);
  assert.deepEqual(
    g.map((x) => [x.id, x.name, x.needs, x.matrix, x.jobs.map((j) => j.id)]),
    [
      ['build', 'build', [], false, [1]],
      ['test', 'test', ['build'], true, [2, 3]],
    ],
  );
});

test('graph: the server graph adds jobs not created yet, in file order', () => {
  const g = graphGroups([jb(1, 'build', 'build')], [
    { id: 'lint', name: 'Lint', needs: [], matrix: false },
    { id: 'build', name: 'Build', needs: [], matrix: false },
    { id: 'deploy', name: 'Deploy', needs: ['build', 'lint'], matrix: false },
  ]);
  assert.deepEqual(g.map((x) => [x.id, x.name, x.jobs.length]), [['lint', 'Lint', 0], ['build', 'Build', 1], ['deploy', 'Deploy', 0]]);
});

test('steps: order, anchors, and the log markers that start them', () => {
  const steps = [st(0, 'Build'), st(1, 'Post cache', 'post'), st(0, 'Pre cache', 'pre'), st(1, 'Test')];
  assert.deepEqual(orderedSteps(steps).map((s) => s.name), ['Pre cache', 'Build', 'Test', 'Post cache']);
  assert.deepEqual(steps.map(stepAnchor), ['step-1', 'step-post-2', 'step-pre-1', 'step-2']);
  const m = new LogModel();
  m.append([T + '##[step] 0 Pre cache', T + 'a', T + '##[step] 0 Build', T + '##[step] 1 Test', T + '##[step] 1 Post cache', T + '##[step] 7 Unknown'].join('\n') + '\n');
  assert.deepEqual([...stepAnchors(m, steps).entries()], [[0, 'step-pre-1'], [2, 'step-1'], [3, 'step-2'], [4, 'step-post-2'], [5, 'step-8']]);
});

test('roles and sizes', () => {
  assert.equal(canWrite(undefined), true);
  assert.equal(canWrite('viewer'), false);
  assert.equal(canWrite('developer'), true);
  assert.equal(formatBytes(123456), '121 KB');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(12), '12 B');
});

// ---------- dispatch form ----------

test('dispatch: fields start at the typed defaults and empty optional ones are left out', () => {
  const input = (x: Partial<DispatchInput>): DispatchInput => ({ description: '', required: false, default: null, type: 'string', options: [], ...x });
  const inputs = {
    env: input({ type: 'choice', options: ['staging', 'production'], required: true }),
    dry: input({ type: 'boolean', default: true }),
    replicas: input({ type: 'number', default: 3 }),
    note: input({}),
    tag: input({ required: true, default: 'v1' }),
  };
  const v = initialValues(inputs);
  assert.deepEqual(v, { env: 'staging', dry: true, replicas: '3', note: '', tag: 'v1' });
  assert.deepEqual(dispatchBody(inputs, { ...v, dry: false, tag: '' }), { env: 'staging', dry: false, replicas: '3', tag: '' });
  assert.equal(workflowKey('.github/workflows/ci.yml'), 'ci.yml');
  assert.equal(workflowKey('other/ci.yml'), 'other/ci.yml');
});

test('settings: only the changed fields are sent; an empty poll interval is 0', () => {
  const p = { repository: '/srv/a.git', default_branch: 'main', poll_interval: 60 } as Project;
  assert.deepEqual(settingsChanges(p, ' /srv/a.git ', 'main', '60'), {});
  assert.deepEqual(settingsChanges(p, '/srv/b.git', 'trunk', ''), { repository: '/srv/b.git', default_branch: 'trunk', poll_interval: 0 });
});
