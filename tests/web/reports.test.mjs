// The report views in a real browser against a real server: two pushes whose workflow writes
// an LCOV file, a JUnit file and a SARIF file in `run:` steps and hands them to the built-in
// actions (gantry/coverage@v1, gantry/test-report@v1, github/codeql-action/upload-sarif@v3).
// Then the run page's Tests, Coverage and Security tabs (deep links, keyboard, sorting, the
// trend chart, hostile text staying text, no inline style against the CSP) and the project's
// Security page with its filters in the URL. Screenshots go to $GANTRY_E2E_OUT.
// Skipped, with the reason, when the server has no reports API or the actions do not exist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, Repo, pushHook, root } from './fixture.mjs';

const out = process.env.GANTRY_E2E_OUT ?? join(root, 'tests/web/out');
const user = 'dana';
const password = 'correct horse battery';
const project = `${user}/reports`;
const T = 60_000;

let server, browser, context, page, repo, U, secret;
let skip = ''; // why the browser checks cannot run, once the runs are in
let baseRun, run; // the two runs' ids
const pageErrors = [];
const cspErrors = [];

// ---- the reports each push's workflow writes ----

function lcov(files) {
  return files
    .map(([path, total, covered]) => {
      const da = Array.from({ length: total }, (_, i) => `DA:${i + 1},${i < covered ? 1 : 0}`).join('\n');
      return `SF:${path}\n${da}\nLF:${total}\nLH:${covered}\nend_of_record`;
    })
    .join('\n');
}

const junitPass = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
<testsuite name="cart" tests="2" failures="0" skipped="0" time="1.0">
<testcase classname="shop.CartTest" name="adds items" time="0.5"/>
<testcase classname="shop.CartTest" name="removes items" time="0.5"/>
</testsuite>
</testsuites>`;

const junitFail = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
<testsuite name="cart" tests="4" failures="1" skipped="1" time="2.5">
<testcase classname="shop.CartTest" name="adds items" time="0.5"/>
<testcase classname="shop.CartTest" name="removes items" time="1.5"><failure message="expected 2, got 3">at cart_test.c:12
&lt;img src=x onerror="window.__xss=7"&gt;</failure></testcase>
<testcase classname="shop.CartTest" name="pays" time="0"><skipped/></testcase>
<testcase classname="shop.PayTest" name="refunds" time="0.5"/>
</testsuite>
</testsuites>`;

// A re-run (attempt 2): the failed test passes, so it is flaky.
const junitRetry = junitFail
  .replace(/<failure[^]*?<\/failure>/, '')
  .replace('failures="1"', 'failures="0"');

function sarif(results) {
  return JSON.stringify({
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'CodeQL',
            rules: [
              { id: 'c/sql-injection', properties: { 'security-severity': '8.8' } },
              { id: 'c/weak-hash', defaultConfiguration: { level: 'note' } },
            ],
          },
        },
        results: results.map(([ruleId, message, file, line]) => ({
          ruleId,
          message: { text: message },
          locations: [{ physicalLocation: { artifactLocation: { uri: file }, region: { startLine: line } } }],
        })),
      },
    ],
  });
}

const weakHash = ['c/weak-hash', 'md5 used for <b>passwords</b>', 'src/hash.c', 3];
const injection = ['c/sql-injection', 'Query built from user input', 'src/db.c', 42];

/** The workflow: a `run:` step writes the three files, the actions read them. */
function workflow({ coverage, junit, findings }) {
  const indent = (s) => s.split('\n').map((l) => '          ' + l).join('\n');
  return `name: Reports
on: [push, pull_request]
jobs:
  check:
    runs-on: self-hosted
    steps:
      - name: Write the reports
        run: |
          cat > lcov.info <<'GANTRY_EOF'
${indent(lcov(coverage))}
          GANTRY_EOF
          if [ "\${{ github.run_attempt }}" = 1 ]; then
          cat > junit.xml <<'GANTRY_EOF'
${indent(junit)}
          GANTRY_EOF
          else
          cat > junit.xml <<'GANTRY_EOF'
${indent(junitRetry)}
          GANTRY_EOF
          fi
          cat > results.sarif <<'GANTRY_EOF'
${indent(sarif(findings))}
          GANTRY_EOF
      - uses: gantry/coverage@v1
        with:
          files: lcov.info
      - uses: gantry/test-report@v1
        if: always()
        with:
          files: junit.xml
      - uses: github/codeql-action/upload-sarif@v3
        if: always()
        with:
          sarif_file: results.sarif
`;
}

// ---- setup ----

async function api(method, path, data) {
  const r = await page.request.fetch(U + path, {
    method,
    data,
    headers: method === 'GET' ? {} : { 'X-Gantry-Client': 'web' },
  });
  return r;
}

async function waitCompleted(id) {
  const until = Date.now() + 120_000;
  for (;;) {
    const r = await (await api('GET', `/api/v1/runs/${id}`)).json();
    if (r.status === 'completed') return r;
    if (Date.now() > until) throw new Error(`run ${id} did not complete in 120 s: ${JSON.stringify(r)}`);
    await new Promise((ok) => setTimeout(ok, 500));
  }
}

before(async () => {
  mkdirSync(out, { recursive: true });
  server = await startServer();
  U = server.url;
  repo = new Repo(server.dir);
  const r = await fetch(U + '/api/v1/auth/signup', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password }),
  });
  assert.equal(r.status, 201);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(T);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('dialog', (d) => {
    pageErrors.push('dialog: ' + d.message());
    d.dismiss();
  });
  // An inline style would be refused by the CSP (style-src 'self') and said on the console.
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to apply/i.test(m.text())) cspErrors.push(m.text());
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('two pushes hand coverage, test and security reports to the server', async (t) => {
  await page.goto(U + '/login');
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
  const created = await api('POST', '/api/v1/projects', { name: project, repository: repo.remote });
  assert.equal(created.status(), 201, await created.text());
  secret = (await created.json()).webhook_secret;

  repo.write('.github/workflows/reports.yml', workflow({
    coverage: [['src/app.c', 10, 5], ['src/cart.c', 10, 6]],
    junit: junitPass,
    findings: [weakHash],
  }));
  const sha1 = repo.commit('first');
  [baseRun] = await pushHook(U, project, secret, sha1);
  await waitCompleted(baseRun);
  repo.write('.github/workflows/reports.yml', workflow({
    coverage: [['src/app.c', 10, 5], ['src/cart.c', 10, 9], ['src/new.c', 4, 4]],
    junit: junitFail,
    findings: [weakHash, injection],
  }));
  const sha2 = repo.commit('second');
  [run] = await pushHook(U, project, secret, sha2, sha1);
  await waitCompleted(run);

  const rep = await api('GET', `/api/v1/runs/${run}/reports`);
  if (rep.status() === 404) {
    skip = 'the server has no GET /api/v1/runs/{id}/reports (the reports endpoints of branch wip-srep are not merged)';
  } else {
    assert.equal(rep.status(), 200, await rep.text());
    const body = await rep.json();
    if (!body.coverage && !body.tests && !body.security) {
      const jobs = (await (await api('GET', `/api/v1/runs/${run}`)).json()).jobs ?? [];
      skip =
        'the run has no reports: the built-in actions gantry/coverage@v1, gantry/test-report@v1 and ' +
        'github/codeql-action/upload-sarif@v3 (branch wip-rep) are missing or failed; ' +
        jobs.map((j) => `${j.name}: ${j.conclusion} ${j.error ?? ''}`).join('; ');
    }
  }
  if (skip) t.skip(skip);
});

function skipped(t) {
  if (!run) {
    t.skip('the runs did not complete');
    return true;
  }
  if (skip) {
    t.skip(skip);
    return true;
  }
  return false;
}

test('the Tests tab: counts, failures as text, details folded, a filter; ?tab=tests survives a reload', async (t) => {
  if (skipped(t)) return;
  await page.goto(`${U}/${project}/runs/${run}`);
  const tabs = page.getByTestId('run-tabs');
  await tabs.waitFor();
  assert.deepEqual(
    await tabs.getByRole('link').evaluateAll((as) => as.map((a) => a.dataset.tab)),
    ['summary', 'tests', 'coverage', 'security'],
    'a tab per report, no PR comment on a push',
  );
  assert.equal(await tabs.getByRole('link', { name: 'Summary' }).getAttribute('aria-current'), 'page');
  await page.getByTestId('job-graph').waitFor();
  // keyboard: the tabs are links in the tab order
  await tabs.getByRole('link', { name: /^Tests/ }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\?tab=tests$/);
  await page.reload();
  const view = page.getByTestId('tests-view');
  await view.waitFor();
  assert.equal(await tabs.getByRole('link', { name: /^Tests/ }).getAttribute('aria-current'), 'page');
  const counts = await page.getByTestId('tests-counts').textContent();
  assert.match(counts, /2\s*passed/);
  assert.match(counts, /1\s*failed/);
  assert.match(counts, /1\s*skipped/);
  const failures = page.getByTestId('failures');
  assert.match(await failures.textContent(), /removes items/);
  assert.match(await failures.textContent(), /shop\.CartTest/);
  assert.match(await failures.textContent(), /expected 2, got 3/);
  const details = failures.locator('details').first();
  assert.equal(await details.evaluate((d) => d.open), false, 'details start folded');
  await details.locator('summary').click();
  assert.match(await details.locator('pre').textContent(), /<img src=x onerror="window.__xss=7">/, 'details are text');
  assert.equal(await view.locator('img').count(), 0);
  await page.getByLabel('Filter tests').fill('no-such-test');
  await page.getByText('No failure matches the filter.').waitFor();
  await page.getByLabel('Filter tests').fill('CartTest removes');
  await failures.waitFor();
  await page.screenshot({ path: join(out, 'reports-tests.png'), fullPage: true });
  assert.equal(await page.evaluate(() => window.__xss ?? null), null);
});

test('the Coverage tab: the total against the base run, sortable files with bars, the trend', async (t) => {
  if (skipped(t)) return;
  await page.goto(`${U}/${project}/runs/${run}?tab=coverage`);
  await page.getByTestId('coverage-view').waitFor();
  assert.equal(await page.getByTestId('coverage-percent').textContent(), '75.0%');
  assert.equal(await page.getByTestId('coverage-delta').textContent(), '+20.0%');
  const baseLink = page.getByTestId('coverage-view').getByRole('link', { name: /^#\d+$/ }).first();
  assert.match(await baseLink.getAttribute('href'), new RegExp(`/runs/${baseRun}$`), 'the base run is linked');
  const files = page.getByTestId('coverage-files');
  const paths = () => files.locator('tbody td.path').allTextContents();
  assert.deepEqual(await paths(), ['src/app.c', 'src/cart.c', 'src/new.c']);
  await files.getByRole('button', { name: /Coverage/ }).click();
  assert.deepEqual(await paths(), ['src/app.c', 'src/cart.c', 'src/new.c'], 'by percent: 50, 90, 100');
  await files.getByRole('button', { name: /Coverage/ }).click();
  assert.deepEqual(await paths(), ['src/new.c', 'src/cart.c', 'src/app.c']);
  assert.equal(await files.locator('th[aria-sort=descending]').count(), 1);
  await files.getByRole('button', { name: /Change/ }).click();
  assert.deepEqual(await paths(), ['src/app.c', 'src/cart.c', 'src/new.c'], 'by change: ±0, +30, none last');
  assert.equal(await files.locator('svg.bar rect.bar-fill').count(), 3);
  const chart = page.getByTestId('coverage-trend');
  await chart.waitFor();
  assert.equal(await chart.locator('svg circle').count(), 2, 'a point per run on the branch');
  assert.equal(await chart.locator('svg circle.current').count(), 1, 'this run is set apart');
  assert.match(await chart.locator('svg').getAttribute('aria-label'), /coverage/i);
  assert.match(await chart.locator('circle.current title').textContent(), /75\.0%.*, this run$/);
  await chart.getByText('Data table').click();
  assert.equal(await chart.locator('table tbody tr').count(), 2);
  await page.screenshot({ path: join(out, 'reports-coverage.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(out, 'reports-coverage-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
});

test('the Security tab, then the project Security page with its filters in the URL', async (t) => {
  if (skipped(t)) return;
  await page.goto(`${U}/${project}/runs/${run}?tab=security`);
  const view = page.getByTestId('security-view');
  await view.waitFor();
  assert.match(await view.getByRole('list', { name: 'Findings by severity' }).textContent(), /1\s*high/i);
  const fresh = page.getByTestId('new-findings');
  assert.match(await fresh.textContent(), /c\/sql-injection/);
  assert.doesNotMatch(await fresh.textContent(), /weak-hash/, 'a finding of the base run is not new');
  await page.screenshot({ path: join(out, 'reports-security-tab.png'), fullPage: true });
  await fresh.getByRole('link', { name: 'c/sql-injection' }).click();
  await page.waitForURL(new RegExp(`/${project}/security\\?`));
  const table = page.getByTestId('findings');
  await table.waitFor();
  assert.equal(await page.getByTestId('project-tabs').getByRole('link', { name: 'Security' }).getAttribute('aria-current'), 'page');
  const rows = table.locator('tbody tr');
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((r) => r.dataset.severity)), ['high', 'low'], 'most severe first (a SARIF note is low)');
  assert.match(await table.textContent(), /md5 used for <b>passwords<\/b>/, 'messages are text');
  assert.match(await table.textContent(), /src\/db\.c:42/);
  await page.getByRole('combobox', { name: /^Severity/ }).selectOption('high');
  await page.waitForURL(/severity=high/);
  await page.reload();
  await table.waitFor();
  assert.equal(await page.getByRole('combobox', { name: /^Severity/ }).inputValue(), 'high', 'a reload keeps the filter');
  assert.equal(await table.locator('tbody tr').count(), 1);
  await page.getByRole('combobox', { name: /^State/ }).selectOption('fixed');
  await page.waitForURL(/state=fixed/);
  await page.getByText('No finding matches.').waitFor();
  await page.getByRole('link', { name: 'Clear', exact: true }).click();
  await table.waitFor();
  const trend = page.getByTestId('security-trend');
  await trend.waitFor();
  assert.ok((await trend.locator('svg polyline').count()) >= 2, 'a line per severity');
  await page.screenshot({ path: join(out, 'reports-security.png'), fullPage: true });
  // the project page links here
  await page.getByTestId('project-tabs').getByRole('link', { name: 'Runs' }).click();
  await page.getByTestId('run-row').first().waitFor();
  await page.getByTestId('project-tabs').getByRole('link', { name: 'Security' }).click();
  await page.waitForURL(new RegExp(`/${project}/security$`));
});

test('a re-run where the failed test passes lists it as flaky', async (t) => {
  if (skipped(t)) return;
  const r = await api('POST', `/api/v1/runs/${run}/rerun`, { failed_only: false });
  assert.ok([201, 202].includes(r.status()), await r.text());
  const until = Date.now() + 120_000;
  for (;;) {
    const now = await (await api('GET', `/api/v1/runs/${run}`)).json();
    if (now.attempt === 2 && now.status === 'completed') break;
    assert.ok(Date.now() < until, 'the re-run completes in 120 s');
    await new Promise((ok) => setTimeout(ok, 500));
  }
  await page.goto(`${U}/${project}/runs/${run}?tab=tests`);
  const flaky = page.getByTestId('flaky');
  await flaky.waitFor();
  assert.match(await flaky.textContent(), /flaky\s*removes items/);
  assert.match(await page.getByTestId('tests-counts').textContent(), /0\s*failed/);
  // the first attempt still shows its failure
  await page.getByLabel('Attempt').selectOption('1');
  await page.waitForURL(/attempt=1&tab=tests|tab=tests&attempt=1/);
  await page.getByTestId('failures').waitFor();
  assert.match(await page.getByTestId('tests-counts').textContent(), /1\s*failed/);
});

/** Commits the work tree on a branch as pull request #1's head (refs/pull/1/head, as GitHub
 * keeps it) and sends the `pull_request` webhook; returns the run ids. */
async function openPullRequest(message) {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Dana', GIT_AUTHOR_EMAIL: 'd@example.org', GIT_COMMITTER_NAME: 'Dana', GIT_COMMITTER_EMAIL: 'd@example.org' };
  const git = (...args) => execFileSync('git', args, { cwd: repo.work, encoding: 'utf8', env }).trim();
  git('checkout', '-q', '-B', 'feature');
  git('add', '-A');
  git('commit', '-q', '-m', message);
  git('push', '-q', 'origin', 'HEAD:refs/pull/1/head');
  const sha = git('rev-parse', 'HEAD');
  const body = JSON.stringify({
    action: 'opened',
    number: 1,
    pull_request: { number: 1, title: message, head: { sha, ref: 'feature' }, base: { ref: 'main' } },
    sender: { login: user },
  });
  const r = await fetch(`${U}/api/v1/hooks/${project}`, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'pull_request',
      'X-GitHub-Delivery': randomBytes(8).toString('hex'),
      'X-Hub-Signature-256': 'sha256=' + createHmac('sha256', secret).update(body).digest('hex'),
    },
  });
  const text = await r.text();
  assert.equal(r.status, 202, text);
  return JSON.parse(text).runs;
}

test('a pull request run previews its PR comment', async (t) => {
  if (skipped(t)) return;
  repo.write('.github/workflows/reports.yml', workflow({
    coverage: [['src/app.c', 10, 8], ['src/cart.c', 10, 9], ['src/new.c', 4, 4]],
    junit: junitPass,
    findings: [weakHash],
  }));
  const [pr] = await openPullRequest('Cover <app>');
  await waitCompleted(pr);
  await page.goto(`${U}/${project}/runs/${pr}`);
  const tabs = page.getByTestId('run-tabs');
  await tabs.getByRole('link', { name: 'PR comment' }).click();
  await page.waitForURL(/\?tab=comment$/);
  const view = page.getByTestId('comment-view');
  const md = view.locator('.markdown');
  await md.waitFor();
  assert.ok(((await md.textContent()) ?? '').trim().length > 0, 'the comment is rendered');
  assert.equal(await md.locator('script, img, [onerror]').count(), 0);
  await page.screenshot({ path: join(out, 'reports-comment.png'), fullPage: true });
  // its coverage is compared with main's latest run
  await tabs.getByRole('link', { name: 'Coverage' }).click();
  await page.getByTestId('coverage-view').waitFor();
  assert.equal(await page.getByTestId('coverage-percent').textContent(), '87.5%');
  assert.equal(await page.getByTestId('coverage-delta').textContent(), '+12.5%');
});

test('nothing ran from report text and nothing broke the CSP', async (t) => {
  if (skipped(t)) return;
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspErrors, []);
  assert.equal(await page.evaluate(() => window.__xss ?? null), null);
});
