// Gantry's web UI in a real browser (Debian's chromium, headless, driven by playwright-core)
// against a real `gantry server`: sign up, create a project, push, watch a run turn green
// live, read a failed step's log and search it, download an artifact, re-run failed jobs,
// cancel a long run, and hostile log lines and markdown that must stay text.
// Screenshots of the run page and a log page go to $GANTRY_E2E_OUT (default tests/web/out).
import { test as nodeTest, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, Repo, pushHook, root } from './fixture.mjs';
import { workflows } from './workflows.mjs';

const out = process.env.GANTRY_E2E_OUT ?? join(root, 'tests/web/out');
const user = 'alice';
const password = 'correct horse battery';
const project = `${user}/shop`;
const T = 30_000; // the longest any single expectation waits

let server, browser, context, page, repo, secret, sha;
const dialogs = [];
const pageErrors = [];

before(async () => {
  mkdirSync(out, { recursive: true });
  server = await startServer();
  repo = new Repo(server.dir);
  for (const [path, text] of Object.entries(workflows)) repo.write(path, text);
  repo.write('README.md', 'shop\n');
  sha = repo.commit('initial');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(T);
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

let failed = false;

/** A test step; on failure, a screenshot named after it, and the server's data kept. */
function test(name, fn) {
  nodeTest(name, async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      const file = 'failed-' + name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60) + '.png';
      await page?.screenshot({ path: join(out, file), fullPage: true }).catch(() => {});
      throw e;
    }
  });
}

after(async () => {
  await browser?.close();
  await server?.stop(failed);
  if (failed) console.error('server log:\n' + server?.log());
});

/** Nothing a hostile line or summary carried ran: no dialog, no flag set, no page error. */
async function assertNoScriptRan() {
  assert.deepEqual(dialogs, []);
  assert.equal(await page.evaluate(() => window.__xss ?? null), null);
  assert.deepEqual(pageErrors, []);
}

async function runIdOf(url) {
  return Number(/\/runs\/(\d+)/.exec(url)[1]);
}

async function dispatch(file) {
  // Through the browser's own session: the cookie plus the UI's CSRF header.
  const r = await page.request.post(`${server.url}/api/v1/projects/${project}/workflows/${file}/dispatches`, {
    data: { ref: 'main' },
    headers: { 'X-Gantry-Client': 'web' },
  });
  assert.equal(r.status(), 201, await r.text());
  return (await r.json()).runs[0];
}

test('the UI is served with a Content-Security-Policy without inline scripts', async () => {
  const r = await fetch(server.url + '/');
  assert.equal(r.status, 200);
  const csp = r.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const html = await r.text();
  assert.doesNotMatch(html, /<script>(?!\s*<\/script>)/, 'no inline script in index.html');
  const deep = await fetch(server.url + `/${project}/runs/1`);
  assert.equal(deep.status, 200, 'a deep link serves the app');
  const api = await fetch(server.url + '/api/v1/nothing-here');
  assert.equal(api.status, 404);
  assert.match(api.headers.get('content-type') ?? '', /json/);
});

test('sign up, then the projects page', async () => {
  await page.goto(server.url + '/');
  await page.waitForURL(/\/login/);
  await page.getByRole('link', { name: 'Sign up' }).click();
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
  assert.equal(await page.getByTestId('username').textContent(), user);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'gantry_session');
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
});

test('a cookie-authenticated write without the UI header is refused (CSRF)', async () => {
  const r = await page.request.post(`${server.url}/api/v1/user/tokens`, { data: { name: 'x' } });
  assert.equal(r.status(), 403);
  assert.equal((await r.json()).error.code, 'csrf');
});

test('create a project from the UI; the webhook secret is shown once', async () => {
  await page.getByRole('link', { name: 'New project' }).click();
  await page.getByLabel('Name').fill(project);
  await page.getByLabel('Git repository URL').fill(repo.remote);
  await page.getByRole('button', { name: 'Create project' }).click();
  secret = await page.getByRole('textbox', { name: 'Webhook secret' }).inputValue();
  assert.match(secret, /^[0-9a-f]{64}$/);
});

test('a push starts a run that turns green live on the run page', async () => {
  const runs = await pushHook(server.url, project, secret, sha);
  assert.equal(runs.length, 1);
  await page.goto(`${server.url}/${project}`);
  const row = page.locator(`[data-testid=run-row][data-run-id="${runs[0]}"]`);
  await row.waitFor();
  await row.getByRole('link').first().click();
  await page.waitForURL(new RegExp(`/runs/${runs[0]}$`));
  const status = page.getByTestId('run-status');
  // Opened while the run still works (its test job sleeps), then green without a reload.
  assert.notEqual(await status.getAttribute('data-state'), 'success');
  await page.waitForSelector('[data-testid=run-status][data-state=success]');
  const graph = page.getByTestId('job-graph');
  await graph.waitFor();
  assert.equal(await graph.locator('[data-testid=job-node][data-state=success]').count(),
    await graph.locator('[data-testid=job-node]').count());
  assert.ok((await graph.textContent()).includes('build'));
  await page.screenshot({ path: join(out, 'run-page.png'), fullPage: true });
});

let failedRun;

test("a failed run: annotation, sanitized summary, the failed step's log searched", async () => {
  failedRun = await dispatch('report.yml');
  await page.goto(`${server.url}/${project}/runs/${failedRun}`);
  await page.waitForSelector('[data-testid=run-status][data-state=failure]');
  const annotations = page.getByTestId('annotations');
  await annotations.waitFor();
  assert.match(await annotations.textContent(), /assertion failed: boom/);
  assert.match(await annotations.textContent(), /src\/app\.c/);
  const summary = page.getByTestId('summary');
  await summary.waitFor();
  await summary.getByRole('heading', { name: 'Test summary' }).waitFor();
  assert.equal(await summary.locator('table td').first().textContent(), 'unit');
  assert.equal(await summary.locator('script, img[src=x], [onerror]').count(), 0);
  assert.equal(await summary.locator('a[href^="javascript"]').count(), 0);
  await assertNoScriptRan();

  await page.locator('[data-testid=job-node][data-job-id=check] a').first().click();
  await page.waitForURL(/\/jobs\/\d+/);
  const log = page.getByTestId('log');
  await log.waitFor();
  await page.getByTestId('log-search').fill('boom');
  await page.getByTestId('log-search').press('Enter');
  await page.waitForFunction(() => /\b1 of [1-9]/.test(document.querySelector('[data-testid=search-count]')?.textContent ?? ''));
  assert.ok(await page.locator('[data-testid=log-line]', { hasText: 'assertion failed: boom' }).count() >= 1);
  // The hostile lines are text, not elements.
  await page.getByTestId('log-search').fill('onerror');
  await page.getByTestId('log-search').press('Enter');
  const hostile = page.locator('[data-testid=log-line]', { hasText: '<img src=x onerror="window.__xss=1">' });
  await hostile.first().waitFor();
  assert.equal(await log.locator('img, script').count(), 0);
  await assertNoScriptRan();
  // ANSI colors become classes, not raw escapes.
  await page.getByTestId('log-search').fill('green text');
  await page.getByTestId('log-search').press('Enter');
  const colored = page.locator('[data-testid=log-line]', { hasText: 'green text' }).first();
  await colored.waitFor();
  assert.doesNotMatch(await colored.textContent(), /\x1b|\[32m/);
  await page.screenshot({ path: join(out, 'log-page.png'), fullPage: false });
  // The raw log downloads as text.
  const raw = await page.getByTestId('raw-log').getAttribute('href');
  const rawText = await (await page.request.get(new URL(raw, server.url).toString())).text();
  assert.match(rawText, /assertion failed: boom/);
});

test('a line has its own URL', async () => {
  const line = page.locator('[data-testid=log-line]', { hasText: 'running tests' }).first();
  const n = await line.getAttribute('data-line');
  const url = page.url().split('#')[0] + '#L' + n;
  await page.goto('about:blank');
  await page.goto(url);
  await page.locator(`[data-testid=log-line][data-line="${n}"]`).waitFor();
  assert.match(await page.locator(`[data-testid=log-line][data-line="${n}"]`).textContent(), /running tests/);
});

test('download an artifact from the run page', async () => {
  await page.goto(`${server.url}/${project}/runs/${failedRun}`);
  const artifacts = page.getByTestId('artifacts');
  await artifacts.waitFor();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    artifacts.getByRole('link', { name: /results/ }).click(),
  ]);
  const file = join(out, 'results.zip');
  await download.saveAs(file);
  const zip = readFileSync(file);
  assert.equal(zip.subarray(0, 2).toString(), 'PK');
  assert.ok(zip.includes('result.txt'));
});

test('re-run failed jobs runs the failed job again in a second attempt', async () => {
  await page.getByRole('button', { name: 'Re-run failed jobs' }).click();
  // The new attempt's own failed job finished again (not the moment the re-run was accepted).
  let r;
  for (const end = Date.now() + T; Date.now() < end; await new Promise((ok) => setTimeout(ok, 300))) {
    r = await (await page.request.get(`${server.url}/api/v1/runs/${failedRun}`)).json();
    const again = r.jobs.some((j) => j.job_id === 'check' && j.attempt === 2 && j.status === 'completed');
    if (r.attempt === 2 && r.status === 'completed' && again) break;
  }
  assert.equal(r.attempt, 2);
  assert.equal(r.conclusion, 'failure');
  await page.waitForSelector('[data-testid=run-status][data-state=failure]');
});

test('cancel a long run from its page', async () => {
  const id = await dispatch('long.yml');
  await page.goto(`${server.url}/${project}/runs/${id}`);
  await page.waitForSelector('[data-testid=job-node][data-state=in_progress]');
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await page.waitForSelector('[data-testid=run-status][data-state=cancelled]');
});

test('a personal access token is shown once and works', async () => {
  await page.goto(`${server.url}/settings/tokens`);
  await page.getByRole('textbox', { name: 'Name' }).fill('e2e token');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = await page.getByRole('textbox', { name: 'New token' }).inputValue();
  assert.match(token, /^gnt_[A-Za-z0-9]{40}$/);
  const me = await fetch(server.url + '/api/v1/user', { headers: { Authorization: 'Bearer ' + token } });
  assert.equal((await me.json()).username, user);
});

test('the status badge of the CI workflow says passing', async () => {
  const r = await page.request.get(`${server.url}/api/v1/projects/${project}/badge.svg?workflow=ci.yml&branch=main`);
  assert.equal(r.status(), 200);
  assert.match(r.headers()['content-type'], /image\/svg\+xml/);
  assert.match(await r.text(), /passing/);
});

test('patterns can be browsed', async () => {
  await page.goto(`${server.url}/patterns`);
  await page.getByRole('heading', { name: /patterns/i }).first().waitFor();
  await assertNoScriptRan();
});

test('log out ends the session', async () => {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(/\/login/);
  const r = await page.request.get(`${server.url}/api/v1/user`);
  assert.equal(r.status(), 401);
});
