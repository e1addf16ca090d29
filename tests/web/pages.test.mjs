// The UI's pages other than a run's (those are in e2e.test.mjs) in a real browser against a real
// server: the log-in redirect, /new with a field error, the project page (dispatch with inputs,
// a live update keeping focus, filters kept in the URL), settings (a write-only secret, a
// variable shown as text, a member error), tokens (shown once, revoked), patterns (YAML as
// text, download), and a 401 while polling sending the user to /login with `next`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, Repo, root } from './fixture.mjs';

const out = process.env.GANTRY_E2E_OUT ?? join(root, 'tests/web/out');
const user = 'carol';
const password = 'correct horse battery';
const project = `${user}/shop`;

let server, browser, context, page, repo, U;
const pageErrors = [];

function check(ok, what) {
  assert.ok(ok, what);
}

before(async () => {
  mkdirSync(out, { recursive: true });
  server = await startServer();
  U = server.url;
  repo = new Repo(server.dir);
  repo.write('.github/workflows/ci.yml', `name: CI
on:
  push:
  workflow_dispatch:
    inputs:
      greeting:
        default: hello
jobs:
  build:
    runs-on: self-hosted
    steps:
      - run: echo "\${{ inputs.greeting }}" && sleep 2
`);
  repo.commit('first <b>commit</b>');
  const r = await fetch(U + '/api/v1/auth/signup', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password }),
  });
  assert.equal(r.status, 201);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'], acceptDownloads: true });
  page = await context.newPage();
  page.setDefaultTimeout(60000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the pages, as a user goes through them', async () => {
  try {
    // Log-in redirect with next.
    await page.goto(U + '/new');
    await page.waitForURL(/\/login\?next=%2Fnew$/);
    check(true, 'signed out: /new redirects to /login?next=%2Fnew');
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'New project' }).waitFor();
    check(page.url() === U + '/new', 'log in returns to /new');

    // New project.
    const nameField = page.getByLabel('Name', { exact: true });
    check((await nameField.inputValue()) === user + '/', 'Name is prefilled with the username and /');
    check((await nameField.getAttribute('placeholder')) === 'owner/name', 'Name placeholder owner/name');
    check((await page.getByLabel('Default branch').inputValue()) === 'main', 'Default branch defaults to main');
    await nameField.fill(project);
    await page.getByLabel('Git repository URL').fill(join(server.dir, 'missing'));
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('alert').waitFor();
    check((await page.evaluate(() => document.activeElement?.getAttribute('name'))) === 'repository', 'an error naming repository focuses it');
    await page.getByLabel('Git repository URL').fill(repo.remote);
    await page.getByRole('button', { name: 'Create project' }).click();
    const secret = page.getByRole('textbox', { name: 'Webhook secret' });
    await secret.waitFor();
    check((await secret.inputValue()).length >= 32, 'the webhook secret is shown once');
    check((await page.getByRole('textbox', { name: 'Webhook URL' }).inputValue()).endsWith('/api/v1/hooks/' + project), 'the webhook URL');
    await page.getByRole('button', { name: 'Copy Webhook secret' }).click();
    await page.getByText('Copied').waitFor();
    check((await page.evaluate(() => navigator.clipboard.readText())) === (await secret.inputValue()), 'Copy puts the secret on the clipboard');
    await page.getByRole('link', { name: `Go to ${project}` }).click();

    // Project page: workflows, dispatch, live update.
    await page.getByTestId('workflows').getByRole('link', { name: 'CI' }).click();
    await page.waitForURL(/\?workflow=ci\.yml$/);
    await page.getByRole('button', { name: 'Run workflow' }).click();
    check((await page.getByLabel('greeting').inputValue()) === 'hello', 'the dispatch form has a field per declared input, at its default');
    await page.getByLabel('greeting').fill('hi');
    await page.locator('#dispatch-form').getByRole('button', { name: 'Run workflow' }).click();
    await page.getByText(/^Started CI #\d+/).waitFor();
    const row = page.getByTestId('runs').getByTestId('run-row').first();
    await row.waitFor();
    const id = await row.getAttribute('data-run-id');
    await row.getByRole('link').focus();
    let state = '';
    for (let i = 0; i < 60 && state !== 'success' && state !== 'failure'; i++) {
      await page.waitForTimeout(500);
      state = await page.locator(`[data-testid="run-row"][data-run-id="${id}"]`).getAttribute('data-state');
    }
    check(state === 'success', `run ${id} turns success without a reload (data-state ${state})`);
    check((await page.evaluate(() => document.activeElement?.classList.contains('run-title'))) === true, 'focus stays on the row through updates');

    // Filters in the URL.
    await page.getByLabel('Status').selectOption('failure');
    await page.waitForURL(/status=failure/);
    await page.reload();
    await page.getByTestId('runs-empty').waitFor();
    check((await page.getByLabel('Status').inputValue()) === 'failure', 'a reload keeps the status filter');
    await page.getByRole('link', { name: 'Clear', exact: true }).click();
    await page.getByTestId('run-row').first().waitFor();

    // Settings: secret (write-only), variable, member error.
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Poll interval (seconds)').fill('300');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    await page.reload();
    check((await page.getByLabel('Poll interval (seconds)').inputValue()) === '300', 'General saves the poll interval');
    await page.getByRole('button', { name: 'Rotate webhook secret' }).click();
    await page.getByRole('group').getByRole('button', { name: 'Rotate', exact: true }).click();
    const rotated = await page.getByRole('textbox', { name: 'New webhook secret' }).inputValue();
    check(/^[0-9a-f]{64}$/.test(rotated), 'rotating the webhook secret shows the new one');
    const sec = page.getByRole('form', { name: 'Add or update a secret' });
    await sec.getByLabel('Name').fill('DEPLOY_KEY');
    await sec.getByLabel('Value').fill('value-never-shown');
    await sec.getByRole('button').click();
    await page.getByTestId('secrets').getByText('DEPLOY_KEY').waitFor();
    check(!(await page.content()).includes('value-never-shown'), 'a secret value is not shown back');
    const vars = page.getByRole('form', { name: 'Add or update a variable' });
    await vars.getByLabel('Name').fill('REGION');
    await vars.getByLabel('Value').fill('<b>eu</b>');
    await vars.getByRole('button').click();
    await page.getByTestId('variables').getByText('<b>eu</b>').waitFor();
    check(true, 'a variable is listed, as text');
    const mem = page.getByRole('form', { name: 'Add a member' });
    await mem.getByLabel('Username').fill('no-such-user-' + user);
    await mem.getByRole('button').click();
    await page.locator('section[aria-labelledby=members-title] .error').waitFor();
    check(true, 'adding an unknown member shows the server error');

    // Tokens.
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByRole('heading', { name: 'Personal access tokens' }).waitFor();
    await page.getByRole('textbox', { name: 'Name' }).fill('e2e');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = await page.getByRole('textbox', { name: 'New token' }).inputValue();
    const status = async () => (await fetch(U + '/api/v1/user', { headers: { Authorization: 'Bearer ' + token } })).status;
    check((await status()) === 200, 'the new token authenticates');
    await page.getByRole('button', { name: 'Revoke e2e' }).click();
    await page.getByRole('group').getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('No tokens yet.').waitFor();
    check((await status()) === 401, 'a revoked token no longer authenticates');

    // Patterns.
    await page.getByRole('link', { name: 'Patterns' }).click();
    await page.getByTestId('patterns').getByRole('link').first().click();
    const yaml = await page.getByTestId('pattern-yaml').innerText();
    check(yaml.includes('jobs:'), 'a pattern shows its workflow YAML');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^Download .*\.yml$/ }).click()]);
    check(download.suggestedFilename().endsWith('.yml'), 'Download NAME.yml');

    // A 401 anywhere goes to /login with next.
    await page.goto(U + `/${project}?status=success`);
    await page.getByTestId('runs').waitFor();
    await context.clearCookies();
    await page.waitForURL(/\/login\?next=/, { timeout: 10000 });
    check(decodeURIComponent(page.url().split('next=')[1]) === `/${project}?status=success`, 'a 401 while polling sends to /login?next=…');

    check(pageErrors.length === 0, 'no uncaught errors in the page' + (pageErrors.length ? ': ' + pageErrors.join('; ') : ''));
  } catch (e) {
    await page.screenshot({ path: join(out, 'failed-pages.png'), fullPage: true }).catch(() => {});
    throw e;
  }
});
