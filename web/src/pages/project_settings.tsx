// /:owner/:name/settings: general settings, webhook, branch protection, commit statuses and PR
// comments, notifications, deliveries (project_delivery.tsx), environments
// (project_environments.tsx), secrets, variables, members, and
// deleting the project; a sub-navigation of in-page links leads to each.
// Secret values are write-only: the API lists names only, and the form never shows one back.
import { useLocation, useRoute } from 'preact-iso';
import { useState } from 'preact/hooks';
import { api, enc, hasRole, projectPath, roleRank, roles, type Member, type Project } from '../api';
import { ConfirmButton, CopyField, ErrorBox, Loading, Page, useLoad } from '../components';
import { currentUser } from '../session';
import { BranchProtection, Deliveries, Forge, Notifications } from './project_delivery';
import { General, RotateWebhookSecret } from './project_general';
import { Secrets, Variables } from './config_lists';
import { Environments } from './project_environments';

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
            <a href="#environments">Environments</a>
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
          <Environments base={base} canWrite={maintainer} canSeeSecrets={hasRole(project, 'developer')} />
          {hasRole(project, 'developer') && <Secrets base={base} canWrite={hasRole(project, 'maintainer')} />}
          <Variables base={base} canWrite={hasRole(project, 'maintainer')} />
          <Members base={base} project={project} />
          {hasRole(project, 'owner') && <DangerZone base={base} project={project} />}
        </>
      )}
    </Page>
  );
}
