// Unit tests of src/lib/environments.ts: the environment form's body and error fields, the
// deployments page's query, per-environment view, status mapping and links, who may review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  deploymentState,
  deploymentsQuery,
  environmentBody,
  environmentField,
  environmentFieldLine,
  environmentForm,
  formatWait,
  latestByEnvironment,
  mayReview,
  safeHttpUrl,
  type Deployment,
  type Environment,
} from '../src/lib/environments';

test('environmentBody: reviewers one a line or comma-separated, minutes to seconds, branches one a line', () => {
  assert.deepEqual(environmentBody({ name: 'production', reviewers: ' alice, bob\n\ncarol ', wait_timer: '1.5', branches: 'main\n release/* \n' }), {
    reviewers: ['alice', 'bob', 'carol'],
    wait_timer: 90,
    branches: ['main', 'release/*'],
  });
  assert.deepEqual(environmentBody({ name: 'x', reviewers: '', wait_timer: '  ', branches: '' }), { reviewers: [], wait_timer: 0, branches: [] });
});

test('environmentBody: a wait timer that is not a number or negative is sent as -1 for the server to name', () => {
  assert.equal(environmentBody({ name: 'x', reviewers: '', wait_timer: 'soon', branches: '' }).wait_timer, -1);
  assert.equal(environmentBody({ name: 'x', reviewers: '', wait_timer: '-3', branches: '' }).wait_timer, -1);
});

test('environmentForm: an environment back to form text, the timer in minutes', () => {
  const e: Environment = { name: 'prod', reviewers: ['a', 'b'], wait_timer: 300, branches: ['main'], created_at: null, updated_at: null };
  assert.deepEqual(environmentForm(e), { name: 'prod', reviewers: 'a\nb', wait_timer: '5', branches: 'main' });
  assert.deepEqual(environmentForm(null), { name: '', reviewers: '', wait_timer: '', branches: '' });
  assert.deepEqual(environmentBody(environmentForm(e)), { reviewers: ['a', 'b'], wait_timer: 300, branches: ['main'] });
});

test('environmentField/Line: indexed errors point at the textarea and its line', () => {
  assert.equal(environmentField('reviewers[0]'), 'reviewers');
  assert.equal(environmentField('branches[12]'), 'branches');
  assert.equal(environmentField('wait_timer'), 'wait_timer');
  assert.equal(environmentField(undefined), undefined);
  assert.equal(environmentFieldLine('reviewers[0]'), 1);
  assert.equal(environmentFieldLine('branches[2]'), 3);
  assert.equal(environmentFieldLine('wait_timer'), null);
  assert.equal(environmentFieldLine('other[1]'), null);
});

test('formatWait: seconds in words', () => {
  assert.equal(formatWait(0), 'none');
  assert.equal(formatWait(45), '45 s');
  assert.equal(formatWait(5400), '1 h 30 min');
  assert.equal(formatWait(2592000), '30 d');
});

test('deploymentsQuery: only what is set, encoded', () => {
  assert.equal(deploymentsQuery({}), '');
  assert.equal(deploymentsQuery({ environment: 'prod eu', limit: 30 }), '?environment=prod+eu&limit=30');
  assert.equal(deploymentsQuery({ limit: 30, before: 0 }), '?limit=30&before=0');
});

const dep = (id: number, environment: string, status = 'success'): Deployment => ({
  id,
  environment,
  sha: 'abcdef1234',
  ref: 'refs/heads/main',
  workflow: '.github/workflows/deploy.yml',
  run_id: id,
  job_id: 'deploy',
  attempt: 1,
  actor: 'alice',
  status,
  url: '',
  created_at: null,
  updated_at: null,
});

test('latestByEnvironment: the newest deployment of each environment, in list order', () => {
  const got = latestByEnvironment([dep(5, 'staging'), dep(4, 'production', 'failure'), dep(3, 'staging', 'inactive'), dep(2, 'production')]);
  assert.deepEqual(got.map((d) => [d.environment, d.id]), [['staging', 5], ['production', 4]]);
  assert.deepEqual(latestByEnvironment([]), []);
});

test('deploymentState: running states stay, finished ones become conclusions, inactive is neutral', () => {
  assert.deepEqual(deploymentState('queued'), { status: 'queued', conclusion: null });
  assert.deepEqual(deploymentState('in_progress'), { status: 'in_progress', conclusion: null });
  assert.deepEqual(deploymentState('failure'), { status: 'completed', conclusion: 'failure' });
  assert.deepEqual(deploymentState('inactive'), { status: 'completed', conclusion: 'neutral' });
});

test('safeHttpUrl: only http and https links', () => {
  assert.equal(safeHttpUrl('https://shop.example/x'), 'https://shop.example/x');
  assert.equal(safeHttpUrl('javascript:alert(1)'), null);
  assert.equal(safeHttpUrl('not a url'), null);
  assert.equal(safeHttpUrl('data:text/html,x'), null);
});

test('mayReview: a reviewer (any case) or an admin', () => {
  assert.equal(mayReview(['Alice'], 'alice', false), true);
  assert.equal(mayReview(['alice'], 'bob', false), false);
  assert.equal(mayReview([], 'bob', true), true);
  assert.equal(mayReview(['alice'], undefined, true), false);
});
