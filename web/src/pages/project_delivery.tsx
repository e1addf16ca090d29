// The settings page's sections for reports back to forges and people: branch protection
// (…/branch-protection), commit statuses and PR comments (…/forge), notifications
// (…/notifications) and the outbox (…/deliveries). Tokens and webhook secrets are write-only:
// the API answers `token_set` / `secret_set`, and the forms never show one back.
import { useRef, useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api';
import { ConfirmButton, ErrorBox, Loading, RelativeTime, focusErrorField, useLoad } from '../components';
import {
  baseUrlPlaceholder,
  canRetry,
  deliveryStates,
  fieldLine,
  forgeBody,
  forgeKinds,
  formField,
  lines,
  notificationForm,
  notificationsBody,
  onChoices,
  onLabels,
  templatePlaceholders,
  type Delivery,
  type ForgeSettings,
  type NotificationForm,
  type NotificationSettings,
  type ProtectionRule,
  type WebhookForm,
} from '../lib/delivery_settings';

/** Marks and focuses the form field an API error names, mapping indexed names to the inputs. */
function focusField(form: HTMLFormElement | null, err: unknown) {
  const field = (err as { field?: string } | null)?.field;
  focusErrorField(form, field ? { field: formField(field) } : err);
}

/** The error's message, with the line of a one-per-line textarea it is about. */
function withLine(err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  const line = fieldLine(err.field);
  return line ? new ApiError(err.status, err.code, `Line ${line}: ${err.message}`, err.field) : err;
}

function Said({ text }: { text: string }) {
  return (
    <p class="small" role="status" aria-live="polite">
      {text}
    </p>
  );
}

export function BranchProtection({ base, canWrite }: { base: string; canWrite: boolean }) {
  const [rules, error, reload] = useLoad(() => api.get<{ rules: ProtectionRule[] }>(`${base}/branch-protection`).then((r) => r.rules), [base]);
  const [pattern, setPattern] = useState('');
  const [checks, setChecks] = useState('');
  const [formError, setFormError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');
  const patternRef = useRef<HTMLInputElement>(null);
  const checksRef = useRef<HTMLTextAreaElement>(null);

  async function save(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const p = pattern.trim();
    setBusy(true);
    setFormError(null);
    try {
      await api.put(`${base}/branch-protection/${enc(p)}`, { required_checks: lines(checks) });
      focusField(form, null);
      setSaid(`Rule ${p} saved`);
      setPattern('');
      setChecks('');
      await reload();
      patternRef.current?.focus();
    } catch (err) {
      setFormError(withLine(err));
      focusField(form, err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="protection-title" class="settings-section" id="branch-protection">
      <h2 id="protection-title">Branch protection</h2>
      <p class="muted">
        The checks a pull request into a matching branch needs before it is ready to merge. Patterns are globs:{' '}
        <code>main</code>, <code>release/*</code>, <code>**</code>.
      </p>
      <ErrorBox error={error} />
      {!rules && !error && <Loading what="branch protection rules" />}
      {rules && rules.length === 0 && <p class="empty">No rules: every check of a pull request's head counts.</p>}
      {rules && rules.length > 0 && (
        <table data-testid="protection-rules" aria-labelledby="protection-title">
          <thead>
            <tr>
              <th scope="col">Branch pattern</th>
              <th scope="col">Required checks</th>
              <th scope="col">Updated</th>
              {canWrite && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.pattern}>
                <th scope="row" class="mono">
                  {r.pattern}
                </th>
                <td>
                  {r.required_checks.length === 0 ? (
                    <span class="muted">none</span>
                  ) : (
                    <ul class="plain-list">
                      {r.required_checks.map((c) => (
                        <li key={c} class="mono">
                          {c}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>{r.updated_at && <RelativeTime iso={r.updated_at} />}</td>
                {canWrite && (
                  <td class="actions">
                    <button
                      type="button"
                      aria-label={`Edit rule ${r.pattern}`}
                      onClick={() => {
                        setPattern(r.pattern);
                        setChecks(r.required_checks.join('\n'));
                        checksRef.current?.focus();
                      }}
                    >
                      Edit
                    </button>
                    <ConfirmButton
                      label="Delete"
                      what={`rule ${r.pattern}`}
                      question={`Delete the rule for ${r.pattern}?`}
                      onConfirm={async () => {
                        try {
                          await api.del(`${base}/branch-protection/${enc(r.pattern)}`);
                          setSaid(`Rule ${r.pattern} deleted`);
                          await reload();
                        } catch (err) {
                          setFormError(err);
                        }
                      }}
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Said text={said} />
      {canWrite && (
        <form class="stack narrow-form" onSubmit={save} aria-label="Add or edit a branch protection rule">
          <div class="field">
            <label for="bp-pattern">Branch pattern</label>
            <input
              id="bp-pattern"
              ref={patternRef}
              name="pattern"
              class="mono"
              required
              autoComplete="off"
              spellcheck={false}
              placeholder="main"
              value={pattern}
              onInput={(e) => setPattern(e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="bp-checks">Required checks</label>
            <textarea
              id="bp-checks"
              ref={checksRef}
              name="required_checks"
              class="mono"
              rows={3}
              spellcheck={false}
              placeholder={'CI / test\nCI / lint'}
              aria-describedby="bp-checks-help"
              value={checks}
              onInput={(e) => setChecks(e.currentTarget.value)}
            />
            <span id="bp-checks-help" class="help">
              One a line: <code>&lt;workflow&gt; / &lt;job&gt;</code> as in the commit statuses (<code>CI / test</code> matches
              every event; <code>CI / test (pull_request)</code> one), or a job's name (<code>test</code>).
            </span>
          </div>
          <ErrorBox error={formError} />
          <div>
            <button type="submit" class="primary" disabled={busy}>
              {rules?.some((r) => r.pattern === pattern.trim()) ? 'Update rule' : 'Add rule'}
            </button>
          </div>
        </form>
      )}
      {!canWrite && <ErrorBox error={formError} />}
    </section>
  );
}

async function getForge(base: string): Promise<ForgeSettings | null> {
  try {
    return await api.get<ForgeSettings>(`${base}/forge`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export function Forge({ base, fullName }: { base: string; fullName: string }) {
  const [loaded, error, reload] = useLoad(() => getForge(base), [base]);
  return (
    <section aria-labelledby="forge-title" class="settings-section" id="commit-statuses">
      <h2 id="forge-title">Commit statuses and PR comments</h2>
      <p class="muted">
        Post a commit status per job and workflow to GitHub, Gitea or Forgejo, and comment on pull requests with the
        run's result.
      </p>
      <ErrorBox error={error} />
      {loaded === undefined && !error && <Loading what="the forge settings" />}
      {loaded !== undefined && <ForgeForm key={loaded ? 'set' : 'unset'} base={base} fullName={fullName} settings={loaded} onChanged={reload} />}
    </section>
  );
}

function ForgeForm({ base, fullName, settings, onChanged }: { base: string; fullName: string; settings: ForgeSettings | null; onChanged: () => Promise<void> }) {
  const [current, setCurrent] = useState(settings);
  const [kind, setKind] = useState<string>(settings?.kind ?? 'github');
  const [baseUrl, setBaseUrl] = useState(settings?.base_url ?? '');
  const [token, setToken] = useState('');
  const [repository, setRepository] = useState(settings?.repository ?? '');
  const [statuses, setStatuses] = useState(settings?.statuses ?? true);
  const [comments, setComments] = useState(settings?.comments ?? false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');

  async function save(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setBusy(true);
    setError(null);
    setSaid('');
    try {
      const r = await api.put<ForgeSettings>(`${base}/forge`, forgeBody({ kind, base_url: baseUrl, token, repository, statuses, comments }));
      focusField(form, null);
      setCurrent(r);
      setBaseUrl(r.base_url);
      setRepository(r.repository);
      setToken('');
      setSaid('Saved');
    } catch (err) {
      setError(err);
      focusField(form, err);
    } finally {
      setBusy(false);
    }
  }

  const tokenSet = !!current?.token_set;
  return (
    <form class="stack narrow-form" onSubmit={save} aria-labelledby="forge-title" data-testid="forge-form">
      <div class="field">
        <label for="forge-kind">Forge</label>
        <select id="forge-kind" name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          {forgeKinds.map((k) => (
            <option key={k.value} value={k.value}>
              {k.label}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="forge-base-url">API base URL</label>
        <input
          id="forge-base-url"
          name="base_url"
          class="mono"
          autoComplete="off"
          spellcheck={false}
          placeholder={baseUrlPlaceholder(kind)}
          aria-describedby="forge-base-url-help"
          value={baseUrl}
          onInput={(e) => setBaseUrl(e.currentTarget.value)}
        />
        <span id="forge-base-url-help" class="help">
          {kind === 'github'
            ? 'Empty for github.com; https://HOST/api/v3 for GitHub Enterprise Server'
            : 'The instance\'s API root, e.g. https://codeberg.org/api/v1'}
        </span>
      </div>
      <div class="field">
        <label for="forge-token">Token</label>
        <input
          id="forge-token"
          name="token"
          type="password"
          autoComplete="new-password"
          required={!tokenSet}
          placeholder={tokenSet ? 'set (type a new one to replace it)' : ''}
          aria-describedby="forge-token-help"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        <span id="forge-token-help" class="help" data-testid="forge-token-state">
          {tokenSet
            ? 'A token is set; it is never shown. Leave empty to keep it, or type one to replace it.'
            : 'Not set. One that may write commit statuses (and comment on pull requests).'}
        </span>
      </div>
      <div class="field">
        <label for="forge-repository">Repository on the forge</label>
        <input
          id="forge-repository"
          name="repository"
          class="mono"
          autoComplete="off"
          spellcheck={false}
          placeholder={fullName}
          aria-describedby="forge-repository-help"
          value={repository}
          onInput={(e) => setRepository(e.currentTarget.value)}
        />
        <span id="forge-repository-help" class="help">
          owner/repo; empty: {fullName}
        </span>
      </div>
      <label class="check">
        <input type="checkbox" name="statuses" checked={statuses} onChange={(e) => setStatuses(e.currentTarget.checked)} />
        Post commit statuses
      </label>
      <label class="check">
        <input type="checkbox" name="comments" checked={comments} onChange={(e) => setComments(e.currentTarget.checked)} />
        Comment on pull requests
      </label>
      <ErrorBox error={error} />
      <Said text={said} />
      <div class="toolbar">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save forge settings'}
        </button>
        {current && (
          <ConfirmButton
            label="Remove forge settings"
            confirmLabel="Remove"
            question="Stop posting statuses and comments, and forget the token?"
            onConfirm={async () => {
              try {
                await api.del(`${base}/forge`);
                await onChanged();
              } catch (err) {
                setError(err);
              }
            }}
          />
        )}
      </div>
    </form>
  );
}

function OnSelect({ id, name, value, onChange, label }: { id: string; name: string; value: string; onChange: (v: string) => void; label?: string }) {
  return (
    <select id={id} name={name} aria-label={label} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      {onChoices.map((o) => (
        <option key={o} value={o}>
          {onLabels[o]}
        </option>
      ))}
    </select>
  );
}

export function Notifications({ base }: { base: string }) {
  const [loaded, error] = useLoad(() => api.get<NotificationSettings>(`${base}/notifications`), [base]);
  return (
    <section aria-labelledby="notify-title" class="settings-section" id="notifications">
      <h2 id="notify-title">Notifications</h2>
      <p class="muted">
        E-mail and webhooks when a run completes. Failure: the run failed or timed out (a cancelled run is not a
        failure); fixed: it succeeded after a failed run of the same workflow and branch.
      </p>
      <ErrorBox error={error} />
      {!loaded && !error && <Loading what="the notification settings" />}
      {loaded && <NotificationsForm base={base} initial={notificationForm(loaded)} />}
    </section>
  );
}

function NotificationsForm({ base, initial }: { base: string; initial: NotificationForm }) {
  const [f, setF] = useState(initial);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');
  const formRef = useRef<HTMLFormElement>(null);
  const set = (patch: Partial<NotificationForm>) => setF((old) => ({ ...old, ...patch }));
  const setHook = (i: number, patch: Partial<WebhookForm>) => setF((old) => ({ ...old, webhooks: old.webhooks.map((w, j) => (j === i ? { ...w, ...patch } : w)) }));

  async function save(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setBusy(true);
    setError(null);
    setSaid('');
    try {
      const r = await api.put<NotificationSettings>(`${base}/notifications`, notificationsBody(f));
      focusField(form, null);
      setF(notificationForm(r));
      setSaid('Saved');
    } catch (err) {
      setError(withLine(err));
      focusField(form, err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={formRef} class="stack narrow-form" onSubmit={save} aria-labelledby="notify-title" data-testid="notifications-form">
      <fieldset class="stack">
        <legend>E-mail</legend>
        <div class="field">
          <label for="notify-to">Recipients</label>
          <textarea
            id="notify-to"
            name="email.to"
            class="mono"
            rows={3}
            spellcheck={false}
            placeholder="team@example.org"
            aria-describedby="notify-to-help"
            value={f.to}
            onInput={(e) => set({ to: e.currentTarget.value })}
          />
          <span id="notify-to-help" class="help">
            One address a line; empty: no project e-mail (members still get their own)
          </span>
        </div>
        <div class="field">
          <label for="notify-on">When</label>
          <OnSelect id="notify-on" name="email.on" value={f.on} onChange={(on) => set({ on })} />
        </div>
        <div class="field">
          <label for="notify-subject">Subject template (optional)</label>
          <input
            id="notify-subject"
            name="email.subject"
            autoComplete="off"
            placeholder="[{{project}}] {{workflow}} {{conclusion}} on {{branch}} ({{sha}})"
            aria-describedby="notify-placeholders"
            value={f.subject}
            onInput={(e) => set({ subject: e.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for="notify-body">Body template (optional)</label>
          <textarea
            id="notify-body"
            name="email.body"
            rows={4}
            aria-describedby="notify-placeholders"
            value={f.body}
            onInput={(e) => set({ body: e.currentTarget.value })}
          />
          <span id="notify-placeholders" class="help">
            Placeholders:{' '}
            {templatePlaceholders.map((p, i) => (
              <span key={p}>
                {i > 0 && ' '}
                <code>{`{{${p}}}`}</code>
              </span>
            ))}
            . Empty: the default subject and body.
          </span>
        </div>
      </fieldset>
      <fieldset class="stack" data-testid="webhooks">
        <legend>Webhooks</legend>
        {f.webhooks.length === 0 && <p class="empty">No webhooks.</p>}
        {f.webhooks.map((w, i) => (
          <div class="webhook" key={i} role="group" aria-label={`Webhook ${i + 1}`}>
            <div class="field">
              <label for={`hook-${i}-url`}>URL</label>
              <input
                id={`hook-${i}-url`}
                name={`webhooks[${i}].url`}
                class="mono"
                type="url"
                required
                autoComplete="off"
                spellcheck={false}
                placeholder="https://hooks.example.org/ci"
                value={w.url}
                onInput={(e) => setHook(i, { url: e.currentTarget.value })}
              />
            </div>
            <div class="row">
              <label for={`hook-${i}-format`}>Format</label>
              <select id={`hook-${i}-format`} name={`webhooks[${i}].format`} value={w.format} onChange={(e) => setHook(i, { format: e.currentTarget.value })}>
                <option value="json">JSON</option>
                <option value="slack">Slack</option>
              </select>
              <label for={`hook-${i}-on`}>When</label>
              <OnSelect id={`hook-${i}-on`} name={`webhooks[${i}].on`} value={w.on} onChange={(on) => setHook(i, { on })} />
            </div>
            <div class="field">
              <label for={`hook-${i}-secret`}>Secret</label>
              <input
                id={`hook-${i}-secret`}
                name={`webhooks[${i}].secret`}
                type="password"
                autoComplete="new-password"
                placeholder={w.secret_set ? 'set' : ''}
                aria-describedby={`hook-${i}-secret-help`}
                value={w.secret}
                onInput={(e) => setHook(i, { secret: e.currentTarget.value })}
              />
              <span id={`hook-${i}-secret-help`} class="help">
                {w.secret_set
                  ? 'A secret is set and never shown: leave this empty to keep it, type a new one to replace it, or drop it.'
                  : 'Optional: signs each delivery (X-Gantry-Signature-256)'}
              </span>
            </div>
            <div class="toolbar">
              {w.secret_set && (
                <button
                  type="button"
                  aria-label={`Drop the secret of webhook ${i + 1}`}
                  onClick={() => {
                    setHook(i, { secret_set: false, secret: '' });
                    setSaid(`Webhook ${i + 1} will be unsigned once saved`);
                  }}
                >
                  Drop secret
                </button>
              )}
              <button
                type="button"
                class="danger"
                aria-label={`Remove webhook ${i + 1}`}
                onClick={() => {
                  setF((old) => ({ ...old, webhooks: old.webhooks.filter((_, j) => j !== i) }));
                  setSaid(`Webhook ${i + 1} removed; save to apply`);
                }}
              >
                Remove
              </button>
            </div>
          </div>
        ))}
        <div>
          <button
            type="button"
            onClick={() => {
              setF((old) => ({ ...old, webhooks: [...old.webhooks, { url: '', format: 'json', on: 'failure', secret: '', secret_set: false }] }));
              const n = f.webhooks.length;
              requestAnimationFrame(() => formRef.current?.querySelector<HTMLInputElement>(`[name="webhooks[${n}].url"]`)?.focus());
            }}
          >
            Add webhook
          </button>
        </div>
      </fieldset>
      <ErrorBox error={error} />
      <Said text={said} />
      <div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save notifications'}
        </button>
      </div>
    </form>
  );
}

export function Deliveries({ base }: { base: string }) {
  const [state, setState] = useState('');
  const [list, error, reload] = useLoad(
    () => api.get<{ deliveries: Delivery[] }>(`${base}/deliveries${state ? `?state=${enc(state)}` : ''}`).then((r) => r.deliveries),
    [base, state],
  );
  const [actionError, setActionError] = useState<unknown>(null);
  const [said, setSaid] = useState('');
  return (
    <section aria-labelledby="deliveries-title" class="settings-section" id="deliveries">
      <h2 id="deliveries-title">Deliveries</h2>
      <p class="muted">Recent commit statuses, comments, e-mails and webhooks sent for this project's runs, newest first.</p>
      <div class="filters">
        <label for="delivery-state">State</label>
        <select id="delivery-state" name="delivery-state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">All</option>
            {deliveryStates.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
        </select>
        <button type="button" onClick={() => reload()}>
          Refresh
        </button>
      </div>
      <ErrorBox error={error} />
      <ErrorBox error={actionError} />
      {!list && !error && <Loading what="deliveries" />}
      {list && list.length === 0 && <p class="empty">No deliveries{state ? ` ${state}` : ''}.</p>}
      {list && list.length > 0 && (
        <div class="table-wrap">
          <table data-testid="deliveries" aria-labelledby="deliveries-title">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Target</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.id} data-testid="delivery" data-state={d.state} data-delivery-id={d.id}>
                  <td>{d.kind}</td>
                  <td class="mono value">{d.target}</td>
                  <td>
                    <span class={`chip chip-${d.state}`}>{d.state}</span>
                  </td>
                  <td>{d.attempts}</td>
                  <td class="value last-error">{d.last_error}</td>
                  <td>{d.created_at && <RelativeTime iso={d.created_at} />}</td>
                  <td class="actions">
                    {canRetry(d) && (
                      <button
                        type="button"
                        aria-label={`Retry delivery ${d.id}`}
                        onClick={async () => {
                          setActionError(null);
                          try {
                            await api.post(`${base}/deliveries/${d.id}/retry`);
                            setSaid(`Delivery ${d.id} queued again`);
                            await reload();
                          } catch (err) {
                            setActionError(err);
                          }
                        }}
                      >
                        Retry
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Said text={said} />
    </section>
  );
}
