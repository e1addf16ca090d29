// Environments, approvals and deployments in a real browser against a real server: an
// environment made in the settings (a reviewer who is not a member is refused next to the
// field), another deleted after a confirmation, a variable of the first; a pushed workflow whose
// job deploys to it waits for review on the run page; a developer who is not a reviewer is told
// so; the reviewer approves and the job runs to success; a wait timer's end is shown; the
// deployments are listed on the Deployments page, where a rollback with nothing to roll back to
// says why and one with something opens the new run.
import { test as nodeTest, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, Repo, root, pushHook } from './fixture.mjs';

const out = process.env.GANTRY_E2E_OUT ?? join(root, 'tests/web/out');
const owner = 'erin';
const dev = 'dev';
const password = 'correct horse battery';
const project = `${owner}/shop`;

let server, browser, page, devPage, repo, U, T, webhookSecret;
let runId;
let failed = false;
const pageErrors = [];

function test(name, fn) {
  nodeTest(name, async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      const file = 'failed-deploy-' + name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60) + '.png';
      await page?.screenshot({ path: join(out, file), fullPage: true }).catch(() => {});
      throw e;
    }
  });
}

async function call(method, path, body, token = T) {
  const r = await fetch(U + path, {
    method,
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

async function signup(name) {
  const r = await fetch(U + '/api/v1/auth/signup', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: name, password, email: `${name}@example.org` }),
  });
  assert.equal(r.status, 201);
  const l = await fetch(U + '/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ username: name, password }) });
  return (await l.json()).token;
}

async function logIn(p, name) {
  await p.goto(U + '/login');
  await p.getByLabel('Username').fill(name);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Log in' }).click();
  await p.waitForURL((u) => !u.pathname.startsWith('/login'));
}

/** Polls `f` until it answers something truthy (every 100 ms, up to 20 s). */
async function until(what, f) {
  const end = Date.now() + 20000;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

before(async () => {
  mkdirSync(out, { recursive: true });
  server = await startServer();
  U = server.url;
  repo = new Repo(server.dir);
  repo.write('README.md', 'shop\n');
  repo.commit('initial');
  T = await signup(owner);
  await signup(dev);
  const p = await call('POST', '/api/v1/projects', { name: project, repository: repo.remote });
  assert.equal(p.status, 201, JSON.stringify(p.json));
  webhookSecret = p.json.webhook_secret;
  assert.ok((await call('PUT', `/api/v1/projects/${project}/members/${dev}`, { role: 'developer' })).status < 300);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  devPage = await (await browser.newContext()).newPage();
  for (const p of [page, devPage]) {
    p.setDefaultTimeout(20000);
    p.on('pageerror', (e) => pageErrors.push(e.message));
  }
});

after(async () => {
  await browser?.close();
  await server?.stop(failed);
  if (failed) console.error('server log:\n' + server?.log());
});

test('settings: an environment with a reviewer, refused first for a non-member; its variable', async () => {
  await logIn(page, owner);
  await page.goto(U + `/${project}/settings`);
  const nav = page.getByRole('navigation', { name: 'Settings sections' });
  await nav.getByRole('link', { name: 'Environments' }).click();
  await page.getByRole('heading', { name: 'Environments' }).waitFor();
  await page.getByText('No environments.').waitFor();
  const form = page.getByRole('form', { name: 'Add or edit an environment' });
  await form.getByLabel('Name').fill('production');
  await form.getByLabel('Reviewers').fill(`${owner}\nnobody`);
  await form.getByLabel('Deployment branches').fill('main');
  await form.getByRole('button', { name: 'Add environment' }).click();
  const err = form.locator('#env-reviewers-error');
  await err.waitFor();
  assert.match(await err.textContent(), /^Line 2: reviewers\[1\]: 'nobody' is not a member/);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'reviewers', 'the error focuses the reviewers');
  assert.equal(await form.getByLabel('Reviewers').getAttribute('aria-invalid'), 'true');
  await form.getByLabel('Reviewers').fill(owner);
  await form.getByRole('button', { name: 'Add environment' }).click();
  const table = page.getByTestId('environments');
  await table.getByRole('rowheader', { name: 'production' }).waitFor();
  assert.equal(await err.count(), 0, 'the error is gone');
  const row = table.getByRole('row', { name: /production/ });
  assert.match(await row.textContent(), new RegExp(`production${owner}none`));

  // Another one, deleted after a confirmation.
  await form.getByLabel('Name').fill('scratch');
  await form.getByLabel('Wait timer (minutes)').fill('soon');
  await form.getByRole('button', { name: 'Add environment' }).click();
  await form.locator('#env-wait_timer-error').waitFor();
  assert.match(await form.locator('#env-wait_timer-error').textContent(), /wait_timer must be 0 to 2592000 seconds/);
  await form.getByLabel('Wait timer (minutes)').fill('1.5');
  await form.getByRole('button', { name: 'Add environment' }).click();
  await table.getByRole('rowheader', { name: 'scratch' }).waitFor();
  assert.match(await table.getByRole('row', { name: /scratch/ }).textContent(), /1 min 30 s/);
  await table.getByRole('button', { name: 'Delete environment scratch' }).click();
  await table.getByRole('group', { name: /Delete environment scratch/ }).getByRole('button', { name: 'Delete' }).click();
  await table.getByRole('rowheader', { name: 'scratch' }).waitFor({ state: 'detached' });
  assert.equal((await call('GET', `/api/v1/projects/${project}/environments/scratch`)).status, 404);

  // Its variable, through the shared variables form.
  const config = page.getByTestId('env-config-production');
  await config.locator('summary').click();
  const vars = config.getByRole('form', { name: 'Add or update a variable of Variables of production' });
  await vars.getByLabel('Name').fill('TARGET');
  await vars.getByLabel('Value').fill('eu-west');
  await vars.getByRole('button', { name: 'Add variable' }).click();
  await config.getByTestId('env-production-variables').getByRole('rowheader', { name: 'TARGET' }).waitFor();
  const env = await call('GET', `/api/v1/projects/${project}/environments/production`);
  assert.deepEqual([env.json.reviewers, env.json.branches, env.json.wait_timer], [[owner], ['main'], 0]);
  const v = await call('GET', `/api/v1/projects/${project}/environments/production/variables`);
  assert.deepEqual(v.json.variables.map((x) => [x.name, x.value]), [['TARGET', 'eu-west']]);
});

test('run page: the job waits for review; a non-reviewer is refused; the reviewer approves', async () => {
  repo.write('.github/workflows/deploy.yml', `name: Deploy
on: push
jobs:
  deploy:
    runs-on: self-hosted
    environment:
      name: production
      url: https://shop.example/\${{ github.ref_name }}
    steps:
      - run: echo "deploying to \${{ vars.TARGET }}"
`);
  const sha = repo.commit('deploy');
  const runs = await pushHook(U, project, webhookSecret, sha);
  runId = runs[0];
  await until('the run to wait', async () => (await call('GET', `/api/v1/runs/${runId}`)).json.status === 'waiting');

  // A developer who is not a reviewer sees the panel, and the server's refusal.
  await logIn(devPage, dev);
  await devPage.goto(U + `/${project}/runs/${runId}`);
  const devPanel = devPage.getByTestId('review-panel');
  await devPanel.getByRole('heading', { name: 'Review deployments' }).waitFor();
  assert.match(await devPanel.textContent(), /You are not a reviewer/);
  await devPanel.getByRole('button', { name: 'Approve and deploy production' }).click();
  await devPanel.getByRole('alert').waitFor();
  assert.match(await devPanel.getByRole('alert').textContent(), /only a reviewer of environment 'production' \(or an admin\) may approve or reject it/);

  await page.goto(U + `/${project}/runs/${runId}`);
  const panel = page.getByTestId('review-panel');
  await panel.waitFor();
  const group = panel.getByRole('group', { name: 'production' });
  assert.match(await group.textContent(), /deploy waits for a review/);
  assert.match(await group.textContent(), new RegExp(`Reviewers: ${owner}\\.`));
  assert.equal(await page.getByTestId('run-status').getAttribute('data-state'), 'waiting');
  await page.screenshot({ path: join(out, 'run-review.png'), fullPage: true });
  await group.getByLabel('Comment on production').fill('ship it');
  await group.getByRole('button', { name: 'Approve and deploy production' }).click();
  // Live: the panel goes, the run runs to success, the review is listed.
  await panel.waitFor({ state: 'detached' });
  await page.locator('[data-testid="run-status"][data-state="success"]').waitFor();
  const history = page.getByTestId('approvals-history');
  await history.waitFor();
  assert.match(await history.textContent(), new RegExp(`${owner} approved production: ship it`));
  const a = await call('GET', `/api/v1/runs/${runId}/approvals`);
  assert.deepEqual(a.json.pending, []);
  assert.deepEqual(a.json.approvals.map((x) => [x.user, x.environment, x.approve, x.comment]), [[owner, 'production', true, 'ship it']]);

  // The developer's page refreshes too: no more panel once the run goes on.
  await devPage.getByTestId('review-panel').waitFor({ state: 'detached' });
  await devPage.getByTestId('approvals-history').waitFor();
});

test('run page: a job waiting on a wait timer shows when it ends', async () => {
  assert.equal((await call('PUT', `/api/v1/projects/${project}/environments/staging`, { wait_timer: 3600 })).status, 200);
  repo.write('.github/workflows/staging.yml', `name: Staging
on: workflow_dispatch
jobs:
  stage:
    runs-on: self-hosted
    environment: staging
    steps:
      - run: echo staged
`);
  repo.commit('staging');
  const d = await call('POST', `/api/v1/projects/${project}/workflows/staging.yml/dispatches`, { ref: 'main' });
  assert.equal(d.status, 201, JSON.stringify(d.json));
  const id = d.json.runs[0];
  await until('the staging run to wait', async () => (await call('GET', `/api/v1/runs/${id}`)).json.status === 'waiting');
  await page.goto(U + `/${project}/runs/${id}`);
  const panel = page.getByTestId('review-panel');
  await panel.getByRole('heading', { name: 'Waiting deployments' }).waitFor();
  const group = panel.getByRole('group', { name: 'staging' });
  assert.match(await group.textContent(), /stage waits for its timer until/);
  const ends = await group.locator('time').getAttribute('datetime');
  const left = Date.parse(ends) - Date.now();
  assert.ok(left > 3500e3 && left <= 3600e3, `the timer ends in about an hour (${left} ms)`);
  assert.equal(await group.getByRole('button').count(), 0, 'nothing to approve');
  assert.equal((await call('POST', `/api/v1/runs/${id}/cancel`)).status < 300, true);
  await panel.waitFor({ state: 'detached' });
});

test('deployments page: the deployment listed; a rollback with nothing before it says why', async () => {
  await page.goto(U + `/${project}`);
  await page.getByTestId('project-tabs').getByRole('link', { name: 'Deployments' }).click();
  await page.waitForURL(/\/deployments$/);
  const table = page.getByTestId('deployments');
  const row = table.getByRole('row', { name: /production/ });
  await row.waitFor();
  assert.match(await row.textContent(), /Active/);
  assert.equal(await row.getByRole('link', { name: /run/ }).getAttribute('href'), `/${project}/runs/${runId}`);
  const ext = row.getByRole('link', { name: 'https://shop.example/main' });
  assert.equal(await ext.getAttribute('target'), '_blank');
  assert.match(await ext.getAttribute('rel'), /noopener/);
  assert.equal(await row.locator('[data-state="success"]').count(), 1, 'a success icon');

  // The filter is in the query string.
  await page.getByLabel('Environment', { exact: true }).selectOption('production');
  await page.waitForURL(/\/deployments\?environment=production$/);
  await page.getByRole('heading', { name: 'Deployments to production' }).waitFor();

  const env = page.locator('.deploy-envs li[data-environment="production"]');
  await env.getByRole('button', { name: 'Roll back production' }).click();
  await env.getByRole('group', { name: /Roll production back/ }).getByRole('button', { name: 'Roll back' }).click();
  await env.getByRole('alert').waitFor();
  assert.match(await env.getByRole('alert').textContent(), /environment 'production' has no earlier successful deployment to roll back to/);

  // A second deployment (approved through the API); then Roll back opens the new run.
  repo.write('CHANGES', 'two\n');
  const second = (await pushHook(U, project, webhookSecret, repo.commit('second')))[0];
  await until('the second run to wait', async () => (await call('GET', `/api/v1/runs/${second}`)).json.status === 'waiting');
  assert.equal((await call('POST', `/api/v1/runs/${second}/approvals`, { environment: 'production', approve: true })).status, 200);
  await until('the second run to succeed', async () => (await call('GET', `/api/v1/runs/${second}`)).json.conclusion === 'success');
  await page.reload();
  await table.locator('tbody tr').nth(1).waitFor();
  assert.deepEqual(await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.querySelector('.deploy-status').dataset.status)), ['success', 'inactive'], 'newest first; the older one inactive');
  await page.screenshot({ path: join(out, 'deployments.png'), fullPage: true });
  await env.getByRole('button', { name: 'Roll back production' }).click();
  await env.getByRole('group', { name: /Roll production back/ }).getByRole('button', { name: 'Roll back' }).click();
  await page.waitForURL((u) => /\/runs\/\d+$/.test(u.pathname) && !u.pathname.endsWith(`/runs/${second}`) && !u.pathname.endsWith(`/runs/${runId}`));
  await page.getByRole('heading', { name: /Rollback of production to/ }).waitFor();
  await page.getByTestId('review-panel').waitFor();
  assert.deepEqual(pageErrors, []);
});
