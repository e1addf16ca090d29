// /:owner/:name/settings: general settings, webhook, branch protection, commit statuses and PR
// comments, notifications, deliveries (project_delivery.tsx), secrets, variables, members, and
// deleting the project; a sub-navigation of in-page links leads to each.
// Secret values are write-only: the API lists names only, and the form never shows one back.
import { useLocation, useRoute } from 'preact-iso';
import { useRef, useState } from 'preact/hooks';
import { api, enc, hasRole, projectPath, roleRank, roles, type Member, type Project, type Secret, type Variable } from '../api';
import { ConfirmButton, CopyField, ErrorBox, Loading, Page, RelativeTime, useLoad } from '../components';
import { currentUser } from '../session';
import { BranchProtection, Deliveries, Forge, Notifications } from './project_delivery';
import { General, RotateWebhookSecret } from './project_general';

const nameHelp = "Letters, digits and '_'; not starting with a digit or GITHUB_";

function Updated({ iso }: { iso: string | null }) {
  return iso ? <RelativeTime iso={iso} /> : null;
}

function Secrets({ base, canWrite }: { base: string; canWrite: boolean }) {
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
    <section aria-labelledby="secrets-title" class="settings-section" id="secrets">
      <h2 id="secrets-title">Secrets</h2>
      <p class="muted">
        Encrypted on the server and given only to the jobs whose workflow names them (<code>{'${{ secrets.NAME }}'}</code>);
        values are never shown again, in the UI or in logs.
      </p>
      <ErrorBox error={error} />
      {!list && !error && <Loading what="secrets" />}
      {list && list.length === 0 && <p class="empty">No secrets.</p>}
      {list && list.length > 0 && (
        <table data-testid="secrets" aria-labelledby="secrets-title">
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
        <form class="inline-form" onSubmit={save} aria-label="Add or update a secret">
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

function Variables({ base, canWrite }: { base: string; canWrite: boolean }) {
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
    <section aria-labelledby="vars-title" class="settings-section" id="variables">
      <h2 id="vars-title">Variables</h2>
      <p class="muted">
        Plain configuration for workflows: <code>{'${{ vars.NAME }}'}</code>.
      </p>
      <ErrorBox error={error} />
      {!list && !error && <Loading what="variables" />}
      {list && list.length === 0 && <p class="empty">No variables.</p>}
      {list && list.length > 0 && (
        <table data-testid="variables" aria-labelledby="vars-title">
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
        <form class="inline-form" onSubmit={save} aria-label="Add or update a variable">
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

function RoleSelect({ value, onChange, max, label, id }: { value: string; onChange: (r: string) => void; max: string | undefined; label?: string; id?: string }) {
  return (
    <select id={id} aria-label={label} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      {roles.map((r) => (
        <option key={r} value={r} disabled={max !== undefined && roleRank(r) > roleRank(max)}>
          {r}
        </option>
      ))}
    </select>
  );
}

function Members({ base, project }: { base: string; project: Project }) {
  const { route } = useLocation();
  const canWrite = hasRole(project, 'maintainer');
  const me = currentUser.value?.username;
  const [list, error, reload] = useLoad(() => api.get<{ members: Member[] }>(`${base}/members`).then((r) => r.members), [base]);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState('developer');
  const [formError, setFormError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');

  async function put(user: string, r: string) {
    setFormError(null);
    try {
      await api.put(`${base}/members/${enc(user)}`, { role: r });
      setSaid(`${user} is now ${r}`);
      await reload();
      return true;
    } catch (err) {
      setFormError(err);
      await reload();
      return false;
    }
  }

  async function add(e: Event) {
    e.preventDefault();
    setBusy(true);
    if (await put(username.trim(), role)) setUsername('');
    setBusy(false);
  }

  return (
    <section aria-labelledby="members-title" class="settings-section" id="members">
      <h2 id="members-title">Members</h2>
      <p class="muted">
        <strong>viewer</strong> reads runs, logs and variables; <strong>developer</strong> also runs, cancels and re-runs
        workflows and sees secret names; <strong>maintainer</strong> also manages secrets, variables and members;{' '}
        <strong>owner</strong> also deletes the project.
      </p>
      <ErrorBox error={error} />
      {!list && !error && <Loading what="members" />}
      {list && (
        <table data-testid="members" aria-labelledby="members-title">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              {canWrite && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {list.map((m) => {
              const editable = canWrite && (project.role === undefined || roleRank(m.role) <= roleRank(project.role));
              return (
                <tr key={m.username}>
                  <th scope="row">
                    {m.username}
                    {m.username === me && <span class="muted"> (you)</span>}
                  </th>
                  <td>
                    {editable ? (
                      <RoleSelect label={`Role of ${m.username}`} value={m.role} max={project.role} onChange={(r) => put(m.username, r)} />
                    ) : (
                      m.role
                    )}
                  </td>
                  {canWrite && (
                    <td class="actions">
                      {editable && (
                        <ConfirmButton
                          label="Remove"
                          what={m.username}
                          question={m.username === me ? 'Remove yourself from the project?' : `Remove ${m.username}?`}
                          onConfirm={async () => {
                            try {
                              await api.del(`${base}/members/${enc(m.username)}`);
                              // Without a role here the project is gone from view.
                              if (m.username === me && !currentUser.value?.is_admin) return route('/');
                              setSaid(`${m.username} removed`);
                              await reload();
                            } catch (err) {
                              setFormError(err);
                            }
                          }}
                        />
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p class="visually-hidden" role="status" aria-live="polite">
        {said}
      </p>
      {canWrite && (
        <form class="inline-form" onSubmit={add} aria-label="Add a member">
          <label>
            Username
            <input name="member" required autoComplete="off" spellcheck={false} value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
          </label>
          <label for="new-member-role">
            Role
            <RoleSelect id="new-member-role" value={role} max={project.role} onChange={setRole} />
          </label>
          <button type="submit" class="primary" disabled={busy}>
            Add member
          </button>
        </form>
      )}
      <ErrorBox error={formError} />
    </section>
  );
}

function DangerZone({ base, project }: { base: string; project: Project }) {
  const { route } = useLocation();
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function remove(e: Event) {
    e.preventDefault();
    if (typed !== project.name) return;
    setBusy(true);
    setError(null);
    try {
      await api.del(base);
      route('/');
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="danger-title" class="settings-section danger-zone">
      <h2 id="danger-title">Danger zone</h2>
      <form onSubmit={remove} class="stack">
        <p>
          Deleting <strong>{project.name}</strong> deletes its runs, logs, artifacts, secrets and variables. It cannot be
          undone.
        </p>
        <label>
          Type {project.name} to confirm
          <input name="confirm" autoComplete="off" spellcheck={false} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </label>
        <ErrorBox error={error} />
        <div>
          <button type="submit" class="danger" disabled={busy || typed !== project.name}>
            Delete this project
          </button>
        </div>
      </form>
    </section>
  );
}

export function ProjectSettingsPage() {
  const { params } = useRoute();
  const full = `${params.owner}/${params.name}`;
  const base = projectPath(params.owner, params.name);
  const [project, error, reload] = useLoad(() => api.get<Project>(base), [base]);
  const title = `Settings · ${full}`;
  const maintainer = hasRole(project, 'maintainer');
  return (
    <Page title={title}>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={`/${full}`}>{full}</a> / <span aria-current="page">Settings</span>
      </nav>
      <h1>Settings</h1>
      <ErrorBox error={error} />
      {!project && !error && <Loading what="the project" />}
      {project && (
        <>
          {!hasRole(project, 'maintainer') && (
            <p class="notice card">Your role ({project.role}) can read these settings only; maintainers change them.</p>
          )}
          <nav class="settings-nav" aria-label="Settings sections">
            <a href="#general">General</a>
            <a href="#webhook">Webhook</a>
            <a href="#branch-protection">Branch protection</a>
            {maintainer && <a href="#commit-statuses">Commit statuses</a>}
            {maintainer && <a href="#notifications">Notifications</a>}
            {maintainer && <a href="#deliveries">Deliveries</a>}
            {hasRole(project, 'developer') && <a href="#secrets">Secrets</a>}
            <a href="#variables">Variables</a>
            <a href="#members">Members</a>
          </nav>
          <General base={base} project={project} canWrite={hasRole(project, 'maintainer')} onSaved={reload} />
          <section aria-labelledby="hook-title" class="settings-section" id="webhook">
            <h2 id="hook-title">Webhook</h2>
            <CopyField id="webhook-url" label="Webhook URL" value={project.webhook_url} />
            <p class="muted">
              In the repository's webhook settings (GitHub, Gitea, Forgejo): this URL, content type{' '}
              <code>application/json</code>, the events <strong>push</strong> and <strong>pull_request</strong>, and the
              secret shown when the project was created (or the last one made here).
            </p>
            {hasRole(project, 'maintainer') && <RotateWebhookSecret base={base} />}
          </section>
          <BranchProtection base={base} canWrite={maintainer} />
          {maintainer && <Forge base={base} fullName={full} />}
          {maintainer && <Notifications base={base} />}
          {maintainer && <Deliveries base={base} />}
          {hasRole(project, 'developer') && <Secrets base={base} canWrite={hasRole(project, 'maintainer')} />}
          <Variables base={base} canWrite={hasRole(project, 'maintainer')} />
          <Members base={base} project={project} />
          {hasRole(project, 'owner') && <DangerZone base={base} project={project} />}
        </>
      )}
    </Page>
  );
}
