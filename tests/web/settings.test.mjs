// The project settings for reports back to forges and people, in a real browser against a real
// server: a branch protection rule set, listed and deleted; forge settings whose token is never
// shown back; notifications with a bad address (the error focuses the recipients) then a good
// one; a webhook to a closed port on 127.0.0.1 whose failed delivery shows its last_error and
// is retried; a viewer sees the rules read-only and none of the rest; the user's own settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, Repo, root, pushHook } from './fixture.mjs';

const out = process.env.GANTRY_E2E_OUT ?? join(root, 'tests/web/out');
const user = 'dana';
const viewer = 'victor';
const password = 'correct horse battery';
const project = `${user}/site`;
const forgeToken = 'forge-token-never-shown-' + Date.now();
const hookSecret = 'hook-secret-never-shown';

let server, browser, context, page, repo, U, T, webhookSecret, sha;
const pageErrors = [];

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort() {
  const s = createServer();
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  const port = s.address().port;
  await new Promise((ok) => s.close(ok));
  return port;
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

async function logIn(name) {
  await page.goto(U + '/login');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

before(async () => {
  mkdirSync(out, { recursive: true });
  // One attempt: a delivery to a closed port fails for good at once.
  server = await startServer(['--delivery-attempts', '1']);
  U = server.url;
  repo = new Repo(server.dir);
  repo.write('.github/workflows/ci.yml', `name: CI
on: push
jobs:
  test:
    runs-on: self-hosted
    steps:
      - run: echo ok
`);
  sha = repo.commit('first');
  T = await signup(user);
  const viewerToken = await signup(viewer);
  assert.ok(viewerToken);
  const p = await call('POST', '/api/v1/projects', { name: project, repository: repo.remote });
  assert.equal(p.status, 201, JSON.stringify(p.json));
  webhookSecret = p.json.webhook_secret;
  assert.equal((await call('PUT', `/api/v1/projects/${project}/members/${viewer}`, { role: 'viewer' })).status < 300, true);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  context = await browser.newContext();
  page = await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('project settings: branch protection, forge, notifications, deliveries; user notifications', async () => {
  try {
    await logIn(user);
    await page.goto(U + `/${project}/settings`);
    await page.getByRole('heading', { name: 'Branch protection' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Settings sections' });
    for (const s of ['Branch protection', 'Commit statuses', 'Notifications', 'Deliveries']) {
      assert.ok(await nav.getByRole('link', { name: s }).isVisible(), `the sub-navigation links ${s}`);
    }
    await nav.getByRole('link', { name: 'Deliveries' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/settings#deliveries$/);
    assert.ok(await page.getByRole('heading', { name: 'Deliveries' }).isVisible(), 'the sub-navigation works from the keyboard');

    // Branch protection: a bad pattern focuses the pattern; a good rule is listed, then deleted.
    const bp = page.getByRole('form', { name: 'Add or edit a branch protection rule' });
    await bp.getByLabel('Branch pattern').fill('release/[');
    await bp.getByLabel('Required checks').fill('CI / test');
    await bp.getByRole('button', { name: 'Add rule' }).click();
    await bp.getByRole('alert').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'pattern', 'a bad pattern focuses the pattern');
    await bp.getByLabel('Branch pattern').fill('release/*');
    await bp.getByLabel('Required checks').fill('CI / test\n\n  CI / lint  \n');
    await bp.getByRole('button', { name: 'Add rule' }).click();
    const rules = page.getByTestId('protection-rules');
    await rules.getByRole('rowheader', { name: 'release/*' }).waitFor();
    assert.ok(await rules.getByText('CI / lint', { exact: true }).isVisible(), 'the rule lists its required checks');
    const api = await call('GET', `/api/v1/projects/${project}/branch-protection`);
    assert.deepEqual(api.json.rules.map((r) => [r.pattern, r.required_checks]), [['release/*', ['CI / test', 'CI / lint']]]);
    await page.getByRole('button', { name: 'Delete rule release/*' }).click();
    await page.getByRole('group', { name: 'Delete the rule for release/*?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No rules: every check').waitFor();
    assert.deepEqual((await call('GET', `/api/v1/projects/${project}/branch-protection`)).json.rules, [], 'the rule is deleted');
    // Keep one rule for the viewer to read.
    await bp.getByLabel('Branch pattern').fill('main');
    await bp.getByLabel('Required checks').fill('CI / test');
    await bp.getByRole('button', { name: 'Add rule' }).click();
    await rules.getByRole('rowheader', { name: 'main' }).waitFor();

    // Forge: placeholders per kind, a token never shown back, kept when left empty.
    const forge = page.getByTestId('forge-form');
    assert.equal(await forge.getByLabel('API base URL').getAttribute('placeholder'), 'https://api.github.com');
    await forge.getByLabel('Forge', { exact: true }).selectOption('gitea');
    assert.equal(await forge.getByLabel('API base URL').getAttribute('placeholder'), 'https://HOST/api/v1');
    await forge.getByLabel('API base URL').fill('ftp://git.example.org');
    await forge.getByLabel('Token', { exact: true }).fill(forgeToken);
    await forge.getByLabel('Repository on the forge').fill('dana/site');
    await forge.getByRole('button', { name: 'Save forge settings' }).click();
    await forge.getByRole('alert').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'base_url', 'a bad base URL focuses it');
    // A closed loopback port: the statuses this project's run posts fail without leaving the host.
    await forge.getByLabel('API base URL').fill(`http://127.0.0.1:${await closedPort()}/api/v1`);
    await forge.getByLabel('Comment on pull requests').check();
    await forge.getByRole('button', { name: 'Save forge settings' }).click();
    await forge.getByText('Saved', { exact: true }).waitFor();
    assert.equal(await forge.getByLabel('Token', { exact: true }).inputValue(), '', 'the token field is emptied after saving');
    await page.reload();
    await page.getByTestId('forge-token-state').getByText('A token is set').waitFor();
    assert.equal(await page.getByTestId('forge-form').getByLabel('Forge', { exact: true }).inputValue(), 'gitea');
    assert.ok(await page.getByTestId('forge-form').getByLabel('Comment on pull requests').isChecked());
    assert.ok(!(await page.content()).includes(forgeToken), 'the forge token is never shown back');
    await page.getByTestId('forge-form').getByRole('button', { name: 'Save forge settings' }).click();
    await page.getByTestId('forge-form').getByText('Saved', { exact: true }).waitFor();
    assert.equal((await call('GET', `/api/v1/projects/${project}/forge`)).json.token_set, true, 'saving without a token keeps it');

    // Notifications: a bad address focuses the recipients; then a good one and a webhook to a
    // closed port are saved.
    const port = await closedPort();
    const nf = page.getByTestId('notifications-form');
    await nf.getByLabel('Recipients').fill('team@example.org\nnot-an-address');
    await nf.getByLabel('When', { exact: true }).first().selectOption('always');
    await nf.getByRole('button', { name: 'Add webhook' }).click();
    const hook = nf.getByRole('group', { name: 'Webhook 1' });
    await hook.getByLabel('URL').fill(`http://127.0.0.1:${port}/hook`);
    await hook.getByLabel('When').selectOption('always');
    await hook.getByLabel('Secret', { exact: true }).fill(hookSecret);
    await nf.getByRole('button', { name: 'Save notifications' }).click();
    await nf.getByRole('alert').getByText('Line 2').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'email.to', 'the bad address focuses the recipients');
    assert.equal(await nf.getByLabel('Recipients').getAttribute('aria-invalid'), 'true');
    await nf.getByLabel('Recipients').fill('team@example.org');
    await nf.getByRole('button', { name: 'Save notifications' }).click();
    await nf.getByText('Saved', { exact: true }).waitFor();
    assert.equal(await nf.getByLabel('Recipients').getAttribute('aria-invalid'), null);
    const saved = (await call('GET', `/api/v1/projects/${project}/notifications`)).json;
    assert.deepEqual(saved.email.to, ['team@example.org']);
    assert.equal(saved.webhooks[0].secret_set, true);
    await page.reload();
    const secretField = page.getByTestId('notifications-form').getByRole('group', { name: 'Webhook 1' }).getByLabel('Secret', { exact: true });
    assert.equal(await secretField.inputValue(), '');
    await page.getByRole('button', { name: 'Drop the secret of webhook 1' }).waitFor();
    assert.ok(!(await page.content()).includes(hookSecret), 'the webhook secret is never shown back');
    // Saving again without typing the secret keeps it (the server keeps it for the same URL).
    await page.getByTestId('notifications-form').getByRole('button', { name: 'Save notifications' }).click();
    await page.getByTestId('notifications-form').getByText('Saved', { exact: true }).waitFor();
    assert.equal((await call('GET', `/api/v1/projects/${project}/notifications`)).json.webhooks[0].secret_set, true, 'an untouched secret is kept');

    // A run: its webhook delivery fails (closed port); its last_error shows; Retry sends it again.
    await pushHook(U, project, webhookSecret, sha);
    let failed = false;
    for (let i = 0; i < 60 && !failed; i++) {
      const d = (await call('GET', `/api/v1/projects/${project}/deliveries?state=failed`)).json.deliveries;
      failed = d.some((x) => x.kind === 'webhook');
      if (!failed) await new Promise((ok) => setTimeout(ok, 500));
    }
    assert.ok(failed, 'the webhook delivery failed');
    await page.getByLabel('State', { exact: true }).selectOption('failed');
    const row = page.getByTestId('deliveries').locator('[data-testid=delivery][data-state=failed]').filter({ hasText: `127.0.0.1:${port}` }).first();
    await row.waitFor();
    const lastError = (await row.locator('td.last-error').innerText()).trim();
    assert.ok(lastError.length > 0, `the failed delivery shows its last_error (${lastError})`);
    assert.ok(await row.locator('.chip-failed').isVisible(), 'a failed chip');
    const id = await row.getAttribute('data-delivery-id');
    // Now something listens on that port: the retry is delivered.
    const got = [];
    const receiver = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise((ok) => receiver.listen(port, '127.0.0.1', ok));
    try {
      await row.getByRole('button', { name: `Retry delivery ${id}` }).click();
      await page.getByText(`Delivery ${id} queued again`).waitFor();
      let retried = false;
      for (let i = 0; i < 60 && !retried; i++) {
        const d = (await call('GET', `/api/v1/projects/${project}/deliveries`)).json.deliveries.find((x) => String(x.id) === id);
        retried = d.state === 'delivered';
        if (!retried) await new Promise((ok) => setTimeout(ok, 500));
      }
      assert.ok(retried, 'the retried delivery was delivered');
      assert.ok(got.length >= 1 && got[0].headers['x-gantry-signature-256']?.startsWith('sha256='), 'the retry arrived, signed');
    } finally {
      receiver.close();
    }
    await page.getByLabel('State', { exact: true }).selectOption('delivered');
    await page.getByTestId('deliveries').locator(`[data-delivery-id="${id}"] .chip-delivered`).waitFor();
    await page.getByLabel('State', { exact: true }).selectOption('');
    await page.getByTestId('deliveries').locator('[data-testid=delivery]').first().waitFor();
    await page.screenshot({ path: join(out, 'settings-deliveries.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(out, 'settings-deliveries-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    // The user's own notifications, on the tokens page.
    await page.getByRole('link', { name: 'Tokens' }).click();
    const mine = page.getByTestId('user-notifications');
    await mine.getByLabel('E-mail').waitFor();
    await mine.getByLabel('E-mail').fill('dana@example.org');
    await mine.getByLabel('When').selectOption('failure');
    await mine.getByLabel('Only my runs').uncheck();
    await mine.getByRole('button', { name: 'Save notifications' }).click();
    await mine.getByText('Saved', { exact: true }).waitFor();
    assert.deepEqual((await call('GET', '/api/v1/user/notifications')).json, { email: 'dana@example.org', on: 'failure', only_own: false });
    await page.reload();
    assert.equal(await page.getByTestId('user-notifications').getByLabel('When').inputValue(), 'failure');
    assert.equal(await page.getByTestId('user-notifications').getByLabel('Only my runs').isChecked(), false);

    // A viewer: the rules read-only, no forge, notifications or deliveries.
    await context.clearCookies();
    await logIn(viewer);
    await page.goto(U + `/${project}/settings`);
    await page.getByTestId('protection-rules').getByRole('rowheader', { name: 'main' }).waitFor();
    assert.equal(await page.getByRole('form', { name: 'Add or edit a branch protection rule' }).count(), 0, 'no rule form for a viewer');
    assert.equal(await page.getByRole('button', { name: /^Delete rule/ }).count(), 0, 'no delete for a viewer');
    for (const h of ['Commit statuses and PR comments', 'Notifications', 'Deliveries']) {
      assert.equal(await page.getByRole('heading', { name: h, exact: true }).count(), 0, `no ${h} for a viewer`);
    }

    assert.equal(pageErrors.length, 0, 'no uncaught errors in the page: ' + pageErrors.join('; '));
  } catch (e) {
    await page.screenshot({ path: join(out, 'failed-settings.png'), fullPage: true }).catch(() => {});
    throw e;
  }
});
