// The settings page's "General" section (repository, default branch, poll interval: PATCH
// /api/v1/projects/{o}/{n}) and the webhook secret's rotation (POST …/webhook-secret), whose
// answer is the one time the new secret is shown.
import { useState } from 'preact/hooks';
import { api, type Project } from '../api';
import { ConfirmButton, CopyField, ErrorBox, focusErrorField } from '../components';

/** The PATCH body: only the fields that differ from `project` ({} when nothing changed). An
 * empty poll interval means 0 (no polling). */
export function settingsChanges(project: Project, repository: string, branch: string, poll: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (repository.trim() !== project.repository) out.repository = repository.trim();
  if (branch.trim() !== project.default_branch) out.default_branch = branch.trim();
  const seconds = poll.trim() === '' ? 0 : Number(poll);
  if (seconds !== project.poll_interval) out.poll_interval = seconds;
  return out;
}

export function General({ base, project, canWrite, onSaved }: { base: string; project: Project; canWrite: boolean; onSaved: () => void }) {
  const [repository, setRepository] = useState(project.repository);
  const [branch, setBranch] = useState(project.default_branch);
  const [poll, setPoll] = useState(project.poll_interval ? String(project.poll_interval) : '');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');

  async function save(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const body = settingsChanges(project, repository, branch, poll);
    setError(null);
    if (Object.keys(body).length === 0) {
      setSaid('Nothing changed');
      return;
    }
    setBusy(true);
    setSaid('');
    try {
      await api.patch<Project>(base, body);
      focusErrorField(form, null);
      setSaid(body.repository !== undefined ? 'Saved; the repository was cloned again' : 'Saved');
      onSaved();
    } catch (err) {
      setError(err);
      focusErrorField(form, err);
    } finally {
      setBusy(false);
    }
  }

  if (!canWrite) {
    return (
      <section aria-labelledby="general-title" class="settings-section" id="general">
        <h2 id="general-title">General</h2>
        <p class="muted small">
          Repository <span class="mono">{project.repository}</span>, default branch{' '}
          <span class="mono">{project.default_branch}</span>
          {project.poll_interval > 0 ? <>, polled every {project.poll_interval} s</> : <>, not polled</>}.
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="general-title" class="settings-section" id="general">
      <h2 id="general-title">General</h2>
      <form class="stack" onSubmit={save} aria-labelledby="general-title">
        <div class="field">
          <label for="settings-repository">Git repository URL</label>
          <input
            id="settings-repository"
            name="repository"
            required
            autoComplete="off"
            spellcheck={false}
            value={repository}
            aria-describedby="settings-repository-help"
            onInput={(e) => setRepository(e.currentTarget.value)}
          />
          <span id="settings-repository-help" class="help">
            Changing it clones the new repository in place of the old one; its present branches start no run.
          </span>
        </div>
        <div class="field">
          <label for="settings-branch">Default branch</label>
          <input
            id="settings-branch"
            name="default_branch"
            required
            autoComplete="off"
            spellcheck={false}
            value={branch}
            aria-describedby="settings-branch-help"
            onInput={(e) => setBranch(e.currentTarget.value)}
          />
          <span id="settings-branch-help" class="help">
            Where the project's workflows and scheduled runs are read from
          </span>
        </div>
        <div class="field">
          <label for="settings-poll">Poll interval (seconds)</label>
          <input
            id="settings-poll"
            name="poll_interval"
            type="number"
            min={0}
            max={86400}
            placeholder="0"
            value={poll}
            aria-describedby="settings-poll-help"
            onInput={(e) => setPoll(e.currentTarget.value)}
          />
          <span id="settings-poll-help" class="help">
            Fetch the repository this often and start runs for what moved; empty or 0: only webhooks start runs
          </span>
        </div>
        <ErrorBox error={error} />
        <p class="small" role="status" aria-live="polite">
          {said}
        </p>
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </section>
  );
}

export function RotateWebhookSecret({ base }: { base: string }) {
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<unknown>(null);
  return (
    <div class="stack" data-testid="webhook-secret">
      {secret ? (
        <>
          <CopyField id="new-webhook-secret" label="New webhook secret" value={secret} />
          <p class="notice" role="status">
            Shown this once: put it in the repository's webhook settings now. Deliveries signed with the old secret are
            refused from now on.
          </p>
        </>
      ) : (
        <div>
          <ConfirmButton
            label="Rotate webhook secret"
            confirmLabel="Rotate"
            question="Make a new secret? Deliveries signed with the current one will be refused."
            onConfirm={async () => {
              setError(null);
              try {
                const r = await api.post<{ webhook_secret: string }>(`${base}/webhook-secret`);
                setSecret(r.webhook_secret);
              } catch (err) {
                setError(err);
              }
            }}
          />
        </div>
      )}
      <ErrorBox error={error} />
    </div>
  );
}
