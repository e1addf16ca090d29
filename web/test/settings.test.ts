// Unit tests of src/lib/delivery_settings.ts: the project settings for branch protection,
// forge statuses, notifications and deliveries (form text to API bodies, error fields to inputs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  baseUrlPlaceholder,
  canRetry,
  fieldLine,
  forgeBody,
  formField,
  lines,
  notificationForm,
  notificationsBody,
  type Delivery,
} from '../src/lib/delivery_settings';

test('lines: one item a line, trimmed, blank lines dropped', () => {
  assert.deepEqual(lines(' CI / test \r\n\n  \nCI / lint\n'), ['CI / test', 'CI / lint']);
  assert.deepEqual(lines(''), []);
});

test('baseUrlPlaceholder: GitHub, Gitea and Forgejo', () => {
  assert.equal(baseUrlPlaceholder('github'), 'https://api.github.com');
  assert.equal(baseUrlPlaceholder('gitea'), 'https://HOST/api/v1');
  assert.equal(baseUrlPlaceholder('forgejo'), 'https://HOST/api/v1');
});

test('forgeBody: an empty token keeps the stored one; empty fields are left to the server', () => {
  const f = { kind: 'github', base_url: '', token: '', repository: '', statuses: true, comments: false };
  assert.deepEqual(forgeBody(f), { kind: 'github', statuses: true, comments: false });
  assert.deepEqual(forgeBody({ ...f, kind: 'gitea', base_url: ' https://git.example.org/api/v1/ ', token: 't0k', repository: ' a/b ', comments: true }), {
    kind: 'gitea',
    base_url: 'https://git.example.org/api/v1',
    repository: 'a/b',
    token: 't0k',
    statuses: true,
    comments: true,
  });
});

test('notificationForm and notificationsBody round-trip; a stored secret is kept unless typed or dropped', () => {
  const form = notificationForm({
    email: { to: ['a@example.org', 'b@example.org'], on: 'fixed' },
    webhooks: [{ url: 'https://h.example.org/x', format: 'slack', on: 'always', secret_set: true }],
  });
  assert.equal(form.to, 'a@example.org\nb@example.org');
  assert.equal(form.webhooks[0].secret_set, true);
  assert.equal(form.webhooks[0].secret, '');
  assert.deepEqual(notificationsBody(form), {
    email: { to: ['a@example.org', 'b@example.org'], on: 'fixed' },
    webhooks: [{ url: 'https://h.example.org/x', format: 'slack', on: 'always' }],
  });
  form.webhooks[0].secret = 's3cret';
  form.subject = '[{{project}}] {{conclusion}}';
  assert.deepEqual(notificationsBody(form).webhooks[0], { url: 'https://h.example.org/x', format: 'slack', on: 'always', secret: 's3cret' });
  assert.equal((notificationsBody(form).email as { subject?: string }).subject, '[{{project}}] {{conclusion}}');
  // Dropped (or never set): sent as "" so the server does not keep a stored one.
  form.webhooks[0] = { ...form.webhooks[0], secret: '', secret_set: false };
  assert.equal(notificationsBody(form).webhooks[0].secret, '');
});

test('notificationsBody: no recipient and no template is no project e-mail', () => {
  const empty = notificationForm(null);
  assert.equal(empty.on, 'failure');
  assert.deepEqual(notificationsBody(empty), { email: null, webhooks: [] });
  assert.deepEqual(notificationsBody({ ...empty, to: '\n \n' }), { email: null, webhooks: [] });
});

test('formField and fieldLine: API error fields to the inputs and lines', () => {
  assert.equal(formField('email.to[2]'), 'email.to');
  assert.equal(formField('required_checks[0]'), 'required_checks');
  assert.equal(formField('webhooks[1]'), 'webhooks[1].url');
  assert.equal(formField('webhooks[1].url'), 'webhooks[1].url');
  assert.equal(formField('base_url'), 'base_url');
  assert.equal(formField(undefined), undefined);
  assert.equal(fieldLine('email.to[2]'), 3);
  assert.equal(fieldLine('required_checks[0]'), 1);
  assert.equal(fieldLine('webhooks[0].url'), null);
  assert.equal(fieldLine('pattern'), null);
});

test('canRetry: failed deliveries only', () => {
  const d = { id: 1, kind: 'webhook', target: 'x', state: 'failed', attempts: 3, last_error: 'refused', created_at: null, delivered_at: null, next_attempt_at: null } as Delivery;
  assert.equal(canRetry(d), true);
  assert.equal(canRetry({ ...d, state: 'pending' }), false);
  assert.equal(canRetry({ ...d, state: 'delivered' }), false);
});
