// The secrets and variables lists with their forms, shared by the project's settings and each
// environment's (…/secrets and …/variables answer the same shapes under both). Secret values
// are write-only: the API lists names only, and the form never shows one back.
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api, enc, type Secret, type Variable } from '../api';
import { ConfirmButton, ErrorBox, Loading, RelativeTime, useLoad } from '../components';

const nameHelp = "Letters, digits and '_'; not starting with a digit or GITHUB_";

interface ConfigProps {
  base: string; // the API path the list hangs under
  canWrite: boolean;
  id?: string;
  title?: string;
  level?: 2 | 3;
  intro?: ComponentChildren;
}

function Heading({ level, id, children }: { level: 2 | 3; id: string; children: ComponentChildren }) {
  return level === 2 ? <h2 id={id}>{children}</h2> : <h3 id={id}>{children}</h3>;
}

function Updated({ iso }: { iso: string | null }) {
  return iso ? <RelativeTime iso={iso} /> : null;
}

/** A list of write-only secrets under `base` (…/secrets: the project's, or an environment's)
 * with add, update and delete for `canWrite`. `id` prefixes the section's ids (one page may
 * hold several); `intro` replaces the default explanation. */
export function Secrets({ base, canWrite, id = 'secrets', title = 'Secrets', level = 2, intro }: ConfigProps) {
  const [list, error, reload] = useLoad(() => api.get<{ secrets: Secret[] }>(`${base}/secrets`).then((r) => r.secrets), [base]);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [formError, setFormError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');
  const nameRef = useRef<HTMLInputElement>(null);
  const valueRef = useRef<HTMLInputElement>(null);

  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    setFormError(null);
    const n = name.trim();
    try {
      await api.put(`${base}/secrets/${enc(n)}`, { value });
      setSaid(`Secret ${n} saved`);
      setName('');
      setValue('');
      await reload();
      nameRef.current?.focus();
    } catch (err) {
      setFormError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby={`${id}-title`} class="settings-section" id={id}>
      <Heading level={level} id={`${id}-title`}>
        {title}
      </Heading>
      {intro ?? (
        <p class="muted">
          Encrypted on the server and given only to the jobs whose workflow names them (<code>{'${{ secrets.NAME }}'}</code>);
          values are never shown again, in the UI or in logs.
        </p>
      )}
      <ErrorBox error={error} />
      {!list && !error && <Loading what="secrets" />}
      {list && list.length === 0 && <p class="empty">No secrets.</p>}
      {list && list.length > 0 && (
        <table data-testid={id} aria-labelledby={`${id}-title`}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Updated</th>
              {canWrite && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr key={s.name}>
                <th scope="row" class="mono">
                  {s.name}
                </th>
                <td>
                  <Updated iso={s.updated_at} />
                </td>
                {canWrite && (
                  <td class="actions">
                    <button
                      type="button"
                      aria-label={`Update ${s.name}`}
                      onClick={() => {
                        setName(s.name);
                        setValue('');
                        valueRef.current?.focus();
                      }}
                    >
                      Update
                    </button>
                    <ConfirmButton
                      label="Delete"
                      what={s.name}
                      question={`Delete secret ${s.name}?`}
                      onConfirm={async () => {
                        try {
                          await api.del(`${base}/secrets/${enc(s.name)}`);
                          setSaid(`Secret ${s.name} deleted`);
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
      <p class="visually-hidden" role="status" aria-live="polite">
        {said}
      </p>
      {canWrite && (
        <form class="inline-form" onSubmit={save} aria-label={intro ? `Add or update a secret of ${title}` : 'Add or update a secret'}>
          <label>
            Name
            <input
              ref={nameRef}
              name="secret-name"
              class="mono"
              required
              autoComplete="off"
              spellcheck={false}
              pattern="[A-Za-z_][A-Za-z0-9_]*"
              title={nameHelp}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <label>
            Value
            <input
              ref={valueRef}
              name="secret-value"
              type="password"
              autoComplete="new-password"
              required
              value={value}
              onInput={(e) => setValue(e.currentTarget.value)}
            />
          </label>
          <button type="submit" class="primary" disabled={busy}>
            {list?.some((s) => s.name === name.trim()) ? 'Update secret' : 'Add secret'}
          </button>
        </form>
      )}
      <ErrorBox error={formError} />
    </section>
  );
}

/** A list of variables under `base` (…/variables), as Secrets. */
export function Variables({ base, canWrite, id = 'variables', title = 'Variables', level = 2, intro }: ConfigProps) {
  const [list, error, reload] = useLoad(() => api.get<{ variables: Variable[] }>(`${base}/variables`).then((r) => r.variables), [base]);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [formError, setFormError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');
  const nameRef = useRef<HTMLInputElement>(null);
  const valueRef = useRef<HTMLTextAreaElement>(null);

  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    setFormError(null);
    const n = name.trim();
    try {
      await api.put(`${base}/variables/${enc(n)}`, { value });
      setSaid(`Variable ${n} saved`);
      setName('');
      setValue('');
      await reload();
      nameRef.current?.focus();
    } catch (err) {
      setFormError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby={`${id}-title`} class="settings-section" id={id}>
      <Heading level={level} id={`${id}-title`}>
        {title}
      </Heading>
      {intro ?? (
        <p class="muted">
          Plain configuration for workflows: <code>{'${{ vars.NAME }}'}</code>.
        </p>
      )}
      <ErrorBox error={error} />
      {!list && !error && <Loading what="variables" />}
      {list && list.length === 0 && <p class="empty">No variables.</p>}
      {list && list.length > 0 && (
        <table data-testid={id} aria-labelledby={`${id}-title`}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Value</th>
              <th scope="col">Updated</th>
              {canWrite && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.name}>
                <th scope="row" class="mono">
                  {v.name}
                </th>
                <td class="mono value">{v.value}</td>
                <td>
                  <Updated iso={v.updated_at} />
                </td>
                {canWrite && (
                  <td class="actions">
                    <button
                      type="button"
                      aria-label={`Edit ${v.name}`}
                      onClick={() => {
                        setName(v.name);
                        setValue(v.value);
                        valueRef.current?.focus();
                      }}
                    >
                      Edit
                    </button>
                    <ConfirmButton
                      label="Delete"
                      what={v.name}
                      question={`Delete variable ${v.name}?`}
                      onConfirm={async () => {
                        try {
                          await api.del(`${base}/variables/${enc(v.name)}`);
                          setSaid(`Variable ${v.name} deleted`);
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
      <p class="visually-hidden" role="status" aria-live="polite">
        {said}
      </p>
      {canWrite && (
        <form class="inline-form" onSubmit={save} aria-label={intro ? `Add or update a variable of ${title}` : 'Add or update a variable'}>
          <label>
            Name
            <input
              ref={nameRef}
              name="variable-name"
              class="mono"
              required
              autoComplete="off"
              spellcheck={false}
              pattern="[A-Za-z_][A-Za-z0-9_]*"
              title={nameHelp}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <label>
            Value
            <textarea
              ref={valueRef}
              name="variable-value"
              class="mono"
              rows={1}
              spellcheck={false}
              value={value}
              onInput={(e) => setValue(e.currentTarget.value)}
            />
          </label>
          <button type="submit" class="primary" disabled={busy}>
            {list?.some((v) => v.name === name.trim()) ? 'Update variable' : 'Add variable'}
          </button>
        </form>
      )}
      <ErrorBox error={formError} />
    </section>
  );
}
