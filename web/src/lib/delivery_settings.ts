// Pure pieces of the project settings for reports back to forges and people (branch protection,
// forge settings, notifications, deliveries): form text to API bodies, API error fields to form
// fields. The shapes are docs/server.md's "Checks and branch protection", "Commit statuses" and
// "Notifications".

export interface ProtectionRule {
  pattern: string;
  required_checks: string[];
  created_at: string | null;
  updated_at: string | null;
}
export type ForgeKind = 'github' | 'gitea' | 'forgejo';
export interface ForgeSettings {
  kind: ForgeKind;
  base_url: string;
  repository: string;
  statuses: boolean;
  comments: boolean;
  token_set: boolean;
}
export interface EmailSettings {
  to: string[];
  on: string;
  subject?: string;
  body?: string;
}
export interface WebhookSettings {
  url: string;
  format: string; // json | slack
  on: string; // failure | fixed | always
  secret_set?: boolean;
  secret?: string; // only sent, never answered
}
export interface NotificationSettings {
  email: EmailSettings | null;
  webhooks: WebhookSettings[];
}
export interface UserNotificationSettings {
  email: string;
  on: string; // failure | fixed | always | never
  only_own: boolean;
}
export interface Delivery {
  id: number;
  kind: string;
  target: string;
  state: string; // pending | delivered | failed
  attempts: number;
  last_error: string;
  created_at: string | null;
  delivered_at: string | null;
  next_attempt_at: string | null;
}

export const forgeKinds: { value: ForgeKind; label: string }[] = [
  { value: 'github', label: 'GitHub' },
  { value: 'gitea', label: 'Gitea' },
  { value: 'forgejo', label: 'Forgejo' },
];
export const onChoices = ['failure', 'fixed', 'always'] as const;
export const onLabels: Record<string, string> = {
  failure: 'On failure',
  fixed: 'When fixed',
  always: 'Always',
  never: 'Never',
};
export const deliveryStates = ['pending', 'delivered', 'failed'] as const;
/** The placeholders e-mail templates replace (docs/server.md "Notifications"). */
export const templatePlaceholders = ['project', 'workflow', 'branch', 'sha', 'conclusion', 'run_url', 'actor', 'failed_jobs'];

/** The lines of a textarea: trimmed, empty ones dropped. */
export function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** The base URL's placeholder for a forge kind: github.com's API, or a Gitea/Forgejo host's. */
export function baseUrlPlaceholder(kind: string): string {
  return kind === 'github' ? 'https://api.github.com' : 'https://HOST/api/v1';
}

/** The PUT …/forge body. An empty token is left out, so the stored one is kept; an empty base
 * URL too (GitHub's default). */
export function forgeBody(f: { kind: string; base_url: string; token: string; repository: string; statuses: boolean; comments: boolean }) {
  const out: Record<string, string | boolean> = { kind: f.kind, statuses: f.statuses, comments: f.comments };
  if (f.base_url.trim() !== '') out.base_url = f.base_url.trim().replace(/\/+$/, '');
  if (f.repository.trim() !== '') out.repository = f.repository.trim();
  if (f.token !== '') out.token = f.token;
  return out;
}

export interface WebhookForm {
  url: string;
  format: string;
  on: string;
  secret: string; // typed now ('' = none)
  secret_set: boolean; // one is stored
}
export interface NotificationForm {
  to: string; // one address a line
  on: string;
  subject: string;
  body: string;
  webhooks: WebhookForm[];
}

export function notificationForm(s: NotificationSettings | null | undefined): NotificationForm {
  return {
    to: (s?.email?.to ?? []).join('\n'),
    on: s?.email?.on ?? 'failure',
    subject: s?.email?.subject ?? '',
    body: s?.email?.body ?? '',
    webhooks: (s?.webhooks ?? []).map((w) => ({ url: w.url, format: w.format || 'json', on: w.on || 'failure', secret: '', secret_set: !!w.secret_set })),
  };
}

/** The PUT …/notifications body: `email` null when there is neither a recipient nor a
 * template. A webhook's secret: the typed one; none (the server keeps the stored one for that
 * URL) when one is stored and nothing was typed; "" (unsigned) otherwise, e.g. once dropped. */
export function notificationsBody(f: NotificationForm) {
  const to = lines(f.to);
  let email: Record<string, unknown> | null = null;
  if (to.length > 0 || f.subject.trim() !== '' || f.body.trim() !== '') {
    email = { to, on: f.on };
    if (f.subject.trim() !== '') email.subject = f.subject;
    if (f.body.trim() !== '') email.body = f.body;
  }
  const webhooks = f.webhooks.map((w) => {
    const o: Record<string, string> = { url: w.url.trim(), format: w.format, on: w.on };
    if (w.secret !== '') o.secret = w.secret;
    else if (!w.secret_set) o.secret = '';
    return o;
  });
  return { email, webhooks };
}

/** The form field an API error's `field` points into: `email.to[2]` → `email.to` (the
 * textarea), `required_checks[0]` → `required_checks`, `webhooks[1]` → `webhooks[1].url`. */
export function formField(field: string | undefined): string | undefined {
  if (!field) return field;
  const m = /^(email\.to|required_checks)\[\d+\]$/.exec(field);
  if (m) return m[1];
  if (/^webhooks\[\d+\]$/.test(field)) return field + '.url';
  return field;
}

/** Which line of a textarea an indexed error names (`email.to[2]` → the third address), for
 * the message: "line 3". */
export function fieldLine(field: string | undefined): number | null {
  const m = /\[(\d+)\]$/.exec(field ?? '');
  return m && /^(email\.to|required_checks)\[/.test(field ?? '') ? Number(m[1]) + 1 : null;
}

export const canRetry = (d: Delivery) => d.state === 'failed';
