// The settings page's Environments section (…/environments): each environment's protection
// rules (reviewers, wait timer, allowed branches), added, edited or deleted, and its own secrets
// and variables (config_lists.tsx under …/environments/{env}).
import { useRef, useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api';
import { ConfirmButton, ErrorBox, Loading, focusErrorField, useLoad } from '../components';
import {
  environmentBody,
  environmentField,
  environmentFieldLine,
  environmentForm,
  formatWait,
  type Environment,
  type EnvironmentForm,
} from '../lib/environments';
import { Secrets, Variables } from './config_lists';

/** The message under the field an error names (with the line of a one-a-line field). */
function FieldError({ error, field }: { error: unknown; field: string }) {
  if (!(error instanceof ApiError) || environmentField(error.field) !== field) return null;
  const line = environmentFieldLine(error.field);
  return (
    <p class="error" role="alert" id={`env-${field}-error`}>
      {line ? `Line ${line}: ` : ''}
      {error.message}
    </p>
  );
}

const formFields = ['environment', 'reviewers', 'wait_timer', 'branches'];

function EnvironmentConfig({ base, env, canWrite, canSeeSecrets }: { base: string; env: Environment; canWrite: boolean; canSeeSecrets: boolean }) {
  const [open, setOpen] = useState(false);
  const envBase = `${base}/environments/${enc(env.name)}`;
  const slug = env.name.replace(/[^A-Za-z0-9_-]/g, '_');
  return (
    <details class="env-config card" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)} data-testid={`env-config-${env.name}`}>
      <summary>
        Secrets and variables of <strong>{env.name}</strong>
      </summary>
      {open && (
        <>
          {canSeeSecrets && (
            <Secrets
              base={envBase}
              canWrite={canWrite}
              id={`env-${slug}-secrets`}
              title={`Secrets of ${env.name}`}
              level={3}
              intro={<p class="muted">Given only to jobs with <code>environment: {env.name}</code>, over the project's secrets of the same name.</p>}
            />
          )}
          <Variables
            base={envBase}
            canWrite={canWrite}
            id={`env-${slug}-variables`}
            title={`Variables of ${env.name}`}
            level={3}
            intro={<p class="muted">Seen by jobs with <code>environment: {env.name}</code>, over the project's variables of the same name.</p>}
          />
        </>
      )}
    </details>
  );
}

export function Environments({ base, canWrite, canSeeSecrets }: { base: string; canWrite: boolean; canSeeSecrets: boolean }) {
  const [list, error, reload] = useLoad(() => api.get<{ environments: Environment[] }>(`${base}/environments`).then((r) => r.environments), [base]);
  const [form, setForm] = useState<EnvironmentForm>(environmentForm(null));
  const [formError, setFormError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');
  const formRef = useRef<HTMLFormElement>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const set = (k: keyof EnvironmentForm) => (e: Event) => setForm({ ...form, [k]: (e.currentTarget as HTMLInputElement).value });
  const editing = list?.some((e) => e.name.toLowerCase() === form.name.trim().toLowerCase());

  async function save(e: Event) {
    e.preventDefault();
    const name = form.name.trim();
    setBusy(true);
    setFormError(null);
    try {
      await api.put(`${base}/environments/${enc(name)}`, environmentBody(form));
      focusErrorField(formRef.current, null);
      setSaid(`Environment ${name} saved`);
      setForm(environmentForm(null));
      await reload();
      nameRef.current?.focus();
    } catch (err) {
      setFormError(err);
      const field = (err as { field?: string } | null)?.field;
      focusErrorField(formRef.current, field ? { field: environmentField(field) } : err);
    } finally {
      setBusy(false);
    }
  }

  // An error about one field is shown under it; any other one under the form.
  const general = formError instanceof ApiError && formFields.includes(environmentField(formError.field) ?? '') ? null : formError;
  const describedBy = (field: string, help?: string) =>
    [help, formError instanceof ApiError && environmentField(formError.field) === field ? `env-${field}-error` : ''].filter(Boolean).join(' ') || undefined;

  return (
    <section aria-labelledby="environments-title" class="settings-section" id="environments">
      <h2 id="environments-title">Environments</h2>
      <p class="muted">
        A job with <code>environment: NAME</code> deploys to it. Its rules: the reviewers of whom one must approve the job (or
        an admin), minutes to wait before it starts, and the branches that may deploy (none: any).
      </p>
      <ErrorBox error={error} />
      {!list && !error && <Loading what="environments" />}
      {list && list.length === 0 && <p class="empty">No environments.</p>}
      {list && list.length > 0 && (
        <table data-testid="environments" aria-labelledby="environments-title">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Reviewers</th>
              <th scope="col">Wait timer</th>
              <th scope="col">Branches</th>
              {canWrite && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {list.map((env) => (
              <tr key={env.name}>
                <th scope="row" class="mono">
                  {env.name}
                </th>
                <td>{env.reviewers.length ? env.reviewers.join(', ') : <span class="muted">none</span>}</td>
                <td>{formatWait(env.wait_timer)}</td>
                <td class="mono">{env.branches.length ? env.branches.join(', ') : <span class="muted">any</span>}</td>
                {canWrite && (
                  <td class="actions">
                    <button
                      type="button"
                      aria-label={`Edit environment ${env.name}`}
                      onClick={() => {
                        setForm(environmentForm(env));
                        setFormError(null);
                        formRef.current?.querySelector<HTMLElement>('[name="reviewers"]')?.focus();
                      }}
                    >
                      Edit
                    </button>
                    <ConfirmButton
                      label="Delete"
                      what={`environment ${env.name}`}
                      question={`Delete environment ${env.name} with its secrets and variables?`}
                      onConfirm={async () => {
                        try {
                          await api.del(`${base}/environments/${enc(env.name)}`);
                          setSaid(`Environment ${env.name} deleted`);
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
      <p class="small" role="status" aria-live="polite">
        {said}
      </p>
      {list?.map((env) => <EnvironmentConfig key={env.name} base={base} env={env} canWrite={canWrite} canSeeSecrets={canSeeSecrets} />)}
      {canWrite && (
        <form ref={formRef} class="stack narrow-form" onSubmit={save} aria-label="Add or edit an environment">
          <div class="field">
            <label for="env-name">Name</label>
            <input
              id="env-name"
              ref={nameRef}
              name="environment"
              class="mono"
              required
              maxLength={255}
              autoComplete="off"
              spellcheck={false}
              placeholder="production"
              aria-describedby={describedBy('environment')}
              value={form.name}
              onInput={set('name')}
            />
            <FieldError error={formError} field="environment" />
          </div>
          <div class="field">
            <label for="env-reviewers">Reviewers</label>
            <textarea
              id="env-reviewers"
              name="reviewers"
              rows={2}
              spellcheck={false}
              aria-describedby={describedBy('reviewers', 'env-reviewers-help')}
              value={form.reviewers}
              onInput={set('reviewers')}
            />
            <span id="env-reviewers-help" class="help">
              Usernames of project members, one a line; any one of them approves. None: no review.
            </span>
            <FieldError error={formError} field="reviewers" />
          </div>
          <div class="field">
            <label for="env-wait">Wait timer (minutes)</label>
            <input
              id="env-wait"
              name="wait_timer"
              inputMode="decimal"
              autoComplete="off"
              placeholder="0"
              aria-describedby={describedBy('wait_timer')}
              value={form.wait_timer}
              onInput={set('wait_timer')}
            />
            <FieldError error={formError} field="wait_timer" />
          </div>
          <div class="field">
            <label for="env-branches">Deployment branches</label>
            <textarea
              id="env-branches"
              name="branches"
              class="mono"
              rows={2}
              spellcheck={false}
              placeholder={'main\nrelease/*'}
              aria-describedby={describedBy('branches', 'env-branches-help')}
              value={form.branches}
              onInput={set('branches')}
            />
            <span id="env-branches-help" class="help">
              Patterns one a line (<code>main</code>, <code>release/*</code>, <code>refs/tags/v*</code>). None: any branch.
            </span>
            <FieldError error={formError} field="branches" />
          </div>
          <ErrorBox error={general} />
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>
              {editing ? 'Save environment' : 'Add environment'}
            </button>
            {form.name !== '' && (
              <button
                type="button"
                onClick={() => {
                  setForm(environmentForm(null));
                  setFormError(null);
                  focusErrorField(formRef.current, null);
                }}
              >
                Clear
              </button>
            )}
          </div>
        </form>
      )}
    </section>
  );
}
