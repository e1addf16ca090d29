// Benchmark of the web UI's log page against the browser's own floor (docs/server.md "The web
// UI"), in Debian's chromium against a real `gantry server`, on a job that printed N lines:
//  1. fetch: the raw log fetched and decoded by the page (the bytes' floor);
//  2. <pre>: the same text put into one <pre> text node and laid out (what a browser does with
//     no viewer at all; it cannot search or fold, and scrolls a 100k-line layer);
//  3. Gantry's log page: navigation → every line loaded and scrollable; search of a word on
//     every line → "1 of N"; a jump to the last line; frame times while scrolling; the DOM
//     nodes the log keeps (virtualized: independent of N).
// Usage: node bench/web.mjs [LINES=100000] [REPEAT=5]   (GANTRY_BIN, GANTRY_WEB_DIR as the tests)
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startServer, Repo, root } from '../tests/web/fixture.mjs';

const { chromium } = await import(
  pathToFileURL(join(root, 'tests/web/node_modules/playwright-core/index.mjs')).href
);
const N = Number(process.argv[2] ?? 100000);
const REPEAT = Number(process.argv[3] ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startServer();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const api = async (method, path, body, token) => {
    const r = await fetch(server.url + path, {
      method,
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  await api('POST', '/api/v1/auth/signup', { username: 'bench', password: 'bench password 1' });
  const { token } = await api('POST', '/api/v1/auth/login', { username: 'bench', password: 'bench password 1' });
  const repo = new Repo(server.dir);
  repo.write('.github/workflows/big.yml', `name: Big
on: workflow_dispatch
jobs:
  log:
    runs-on: ubuntu-latest
    steps:
      - run: seq -f 'line %g of the big log, with some text to make it a typical width' 1 ${N}
`);
  repo.commit('big');
  await api('POST', '/api/v1/projects', { name: 'bench/big', repository: repo.remote }, token);
  const { runs } = await api('POST', '/api/v1/projects/bench/big/workflows/big.yml/dispatches', { ref: 'main' }, token);
  let run;
  for (;;) {
    run = await api('GET', `/api/v1/runs/${runs[0]}`, null, token);
    if (run.status === 'completed') break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  const job = run.jobs[0];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(120000);
  await page.goto(server.url + '/login');
  await page.getByLabel('Username').fill('bench');
  await page.getByLabel('Password').fill('bench password 1');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Projects' }).waitFor();

  const rawUrl = `/api/v1/jobs/${job.id}/logs`;
  const fetchMs = [], preMs = [], readyMs = [], searchMs = [], jumpMs = [], frameMs = [];
  let bytes = 0, nodes = 0;
  for (let i = 0; i < REPEAT; i++) {
    const f = await page.evaluate(async (u) => {
      const t0 = performance.now();
      const text = await (await fetch(u)).text();
      return { ms: performance.now() - t0, bytes: text.length };
    }, rawUrl);
    fetchMs.push(f.ms);
    bytes = f.bytes;
    preMs.push(await page.evaluate(async (u) => {
      const t0 = performance.now();
      const text = await (await fetch(u)).text();
      const pre = document.createElement('pre');
      pre.textContent = text;
      document.body.append(pre);
      void pre.getBoundingClientRect().height; // force layout
      await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
      const ms = performance.now() - t0;
      pre.remove();
      return ms;
    }, rawUrl));

    const t0 = Date.now();
    await page.goto(`${server.url}/bench/big/runs/${run.id}/jobs/${job.id}`);
    await page.getByTestId('log').waitFor();
    // Loaded: the scroller is as tall as N lines.
    await page.waitForFunction((n) => {
      const log = document.querySelector('[data-testid=log]');
      const line = log?.querySelector('[data-testid=log-line]');
      return line && log.scrollHeight >= (n - 1) * line.getBoundingClientRect().height;
    }, N, { polling: 'raf' });
    readyMs.push(Date.now() - t0);
    nodes = await page.evaluate(() => document.querySelector('[data-testid=log]').getElementsByTagName('*').length);

    const s0 = Date.now();
    await page.getByTestId('log-search').fill('typical');
    await page.getByTestId('log-search').press('Enter');
    await page.waitForFunction((n) => (document.querySelector('[data-testid=search-count]')?.textContent ?? '').includes(`of ${n}`), N, { polling: 'raf' });
    searchMs.push(Date.now() - s0);
    await page.getByTestId('log-search').fill('');

    const j0 = Date.now();
    await page.evaluate(() => {
      const log = document.querySelector('[data-testid=log]');
      log.scrollTop = log.scrollHeight;
    });
    await page.waitForFunction((n) => document.querySelector(`[data-testid=log-line][data-line="${n}"]`), N, { polling: 'raf' });
    jumpMs.push(Date.now() - j0);

    frameMs.push(await page.evaluate(async () => {
      const log = document.querySelector('[data-testid=log]');
      log.scrollTop = 0;
      const times = [];
      let last = performance.now();
      for (let k = 0; k < 60; k++) {
        log.scrollTop += 700;
        await new Promise((ok) => requestAnimationFrame(ok));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      times.sort((a, b) => a - b);
      return times[Math.floor(times.length * 0.95)];
    }));
  }
  const m = (xs) => median(xs).toFixed(0);
  console.log(`log of ${N} lines (${(bytes / 1e6).toFixed(1)} MB), median of ${REPEAT}, chromium headless, 2 cores`);
  console.log(`  fetch of the raw log (floor)          ${m(fetchMs)} ms`);
  console.log(`  raw text in one <pre>, laid out       ${m(preMs)} ms`);
  console.log(`  log page ready (navigation → all)     ${m(readyMs)} ms   = ${(median(readyMs) / median(fetchMs)).toFixed(1)}x fetch, ${(median(readyMs) / median(preMs)).toFixed(1)}x <pre>`);
  console.log(`  search, a word on every line          ${m(searchMs)} ms`);
  console.log(`  jump to the last line                 ${m(jumpMs)} ms`);
  console.log(`  scrolling, 95th percentile frame      ${median(frameMs).toFixed(1)} ms`);
  console.log(`  DOM elements in the log               ${nodes}`);
} finally {
  await browser.close();
  await server.stop();
}
