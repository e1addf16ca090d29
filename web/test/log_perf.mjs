// Measures the job log page on a 100,000-line log in Chromium: time to show it, scrolling,
// search, and that hostile lines stay text. It serves a mock of the few API calls the page
// makes, starts `vite` against it, and drives Chromium with playwright-core.
//
//   npm i --no-save --prefix /tmp/pw playwright-core
//   PLAYWRIGHT_CORE=/tmp/pw/node_modules/playwright-core/index.mjs CHROMIUM=/usr/bin/chromium \
//     node test/log_perf.mjs
import http from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const { chromium } = await import(process.env.PLAYWRIGHT_CORE ?? 'playwright-core');
const LINES = Number(process.env.LINES ?? 100000);
const API_PORT = 18199;
const WEB_PORT = 5199;

const T = '2026-12-06T09:00:00.123Z ';
const parts = [T + '##[step] 0 Build', T + '##[group]Install deps', T + 'dep a', T + 'needle inside a group', T + '##[endgroup]'];
parts.push(T + '\x1b[31mred\x1b[0m \x1b[1;32mbold green\x1b[0m \x1b[38;5;208m256\x1b[0m \x1b[38;2;10;200;250mtruecolor\x1b[0m');
parts.push(T + '<img src=x onerror=alert(1)>', T + '<script>alert(2)</script>', T + '##[error]boom');
for (let i = 0; i < LINES; i++) parts.push(`${T}line ${i} of the big log \x1b[32mok\x1b[0m`);
const log = parts.join('\n') + '\n';
const step = { number: 1, index: 0, stage: '', name: 'Build', status: 'completed', conclusion: 'success', started_at: '2026-12-06T09:00:00Z', completed_at: '2026-12-06T09:00:05Z' };
const job = { id: 12, run_id: 7, attempt: 1, job_id: 'build', name: 'build', status: 'completed', conclusion: 'success', matrix: null, steps: [step], started_at: '2026-12-06T09:00:00Z', completed_at: '2026-12-06T09:01:00Z', summary: '', annotations: [] };
const api = http.createServer((req, res) => {
  const send = (type, body, status = 200) => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  const p = new URL(req.url, 'http://x').pathname;
  if (p === '/api/v1/user') return send('application/json', JSON.stringify({ id: 1, username: 'perf' }));
  if (p === '/api/v1/jobs/12') return send('application/json', JSON.stringify(job));
  if (p === '/api/v1/jobs/12/logs') return send('text/plain', log);
  if (p.startsWith('/api/v1/projects/')) return send('application/json', JSON.stringify({ id: 1, name: 'perf/log', role: 'viewer' }));
  send('application/json', JSON.stringify({ error: { code: 'not_found', message: p } }), 404);
});
await new Promise((r) => api.listen(API_PORT, '127.0.0.1', r));
const webDir = fileURLToPath(new URL('..', import.meta.url));
const vite = spawn(process.execPath, ['node_modules/vite/bin/vite.js', '--port', String(WEB_PORT), '--strictPort', '--bypass-lock'], {
  cwd: webDir,
  env: { ...process.env, GANTRY_URL: `http://127.0.0.1:${API_PORT}` },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((resolve) => vite.stdout.on('data', (d) => /Local/.test(String(d)) && resolve()));

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  const dialogs = [];
  page.on('dialog', (d) => (dialogs.push(d.message()), d.dismiss()));
  page.on('pageerror', (e) => console.log('page error:', e.message));
  const base = `http://127.0.0.1:${WEB_PORT}`;
  await page.goto(base + '/');
  await page.waitForTimeout(500);
  await page.evaluate(() => {
    window.__long = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(Math.round(e.duration)))).observe({ type: 'longtask' });
  });
  const t0 = await page.evaluate(() => performance.now());
  await page.evaluate(() => {
    history.pushState(null, '', '/perf/log/runs/7/jobs/12');
    dispatchEvent(new PopStateEvent('popstate'));
  });
  await page.waitForFunction((n) => document.querySelector('[data-testid=log]')?.scrollHeight > n * 19, LINES, { timeout: 60000 });
  const shown = (await page.evaluate(() => performance.now())) - t0;
  console.log(`${LINES} lines shown ${Math.round(shown)} ms after navigation; long tasks ${JSON.stringify(await page.evaluate(() => window.__long))}`);
  await page.evaluate(() => (window.__long = []));
  const scroll = await page.evaluate(async () => {
    const el = document.querySelector('[data-testid=log]');
    const jumps = [];
    for (let i = 0; i < 200; i++) {
      el.scrollTop = Math.random() * el.scrollHeight;
      const t = performance.now();
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      jumps.push(performance.now() - t);
    }
    const t = performance.now();
    for (let i = 0; i < 300; i++) {
      el.scrollTop += 60;
      await new Promise((r) => requestAnimationFrame(r));
    }
    jumps.sort((a, b) => a - b);
    return {
      jumpMedianMs: +jumps[100].toFixed(1),
      jumpP95Ms: +jumps[190].toFixed(1),
      smoothFrameMs: +((performance.now() - t) / 300).toFixed(1),
      linesInDom: document.querySelectorAll('[data-testid=log-line]').length,
    };
  });
  console.log('scroll', JSON.stringify(scroll), 'long tasks', JSON.stringify(await page.evaluate(() => window.__long)));
  for (const q of ['line 9999', 'NEEDLE', 'of the big', 'not-there']) {
    await page.fill('[data-testid=log-search]', '');
    const r = await page.evaluate(async (q) => {
      const input = document.querySelector('[data-testid=log-search]');
      const count = document.querySelector('[data-testid=search-count]');
      const t = performance.now();
      input.value = q;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      while (!/ of /.test(count.textContent)) await new Promise((r) => setTimeout(r, 2));
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      return { ms: Math.round(performance.now() - t), count: count.textContent, current: document.querySelector('.ll.cur')?.textContent ?? null };
    }, q);
    console.log(`search ${JSON.stringify(q)}: ${JSON.stringify(r)} (includes the 120 ms typing debounce)`);
  }
  const xss = await page.evaluate(() => ({
    elements: document.querySelectorAll('[data-testid=log] img, [data-testid=log] script').length,
  }));
  console.log('hostile lines as elements:', xss.elements, 'dialogs:', dialogs.length);
  if (xss.elements || dialogs.length) process.exitCode = 1;
} finally {
  await browser.close();
  vite.kill();
  api.close();
}
