// /new: a project from a git repository. The answer carries the webhook secret, shown here
// once: the server stores it encrypted and never returns it again.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, type Project } from '../api';
import { CopyField, ErrorBox, Page, focusErrorField } from '../components';
import { currentUser } from '../session';

type Created = Project & { webhook_secret: string };

export function NewProjectPage() {
  const user = currentUser.value;
  const [name, setName] = useState(user ? user.username + '/' : '');
  const [repository, setRepository] = useState('');
  const [branch, setBranch] = useState('main');
  const [poll, setPoll] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Created | null>(null);
  const doneHeading = useRef<HTMLHeadingElement>(null);

  useLayoutEffect(() => {
    if (created) doneHeading.current?.focus();
  }, [created]);

  async function submit(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { name: name.trim(), repository: repository.trim() };
      if (branch.trim()) body.default_branch = branch.trim();
      if (poll.trim()) body.poll_interval = Number(poll);
      setCreated(await api.post<Created>('/api/v1/projects', body));
    } catch (err) {
      setError(err);
      focusErrorField(form, err);
    } finally {
      setBusy(false);
    }
  }

  if (created) {
    return (
      <Page title={`${created.name} created`}>
        <h1 tabIndex={-1} ref={doneHeading}>
          {created.name} is ready
        </h1>
        <section class="card stack" aria-labelledby="hook-title">
          <h2 id="hook-title">Connect a webhook</h2>
          <p>
            Runs start when the repository tells Gantry about pushes and pull requests. Copy the
            webhook secret now: <strong>it is shown only this once</strong>.
          </p>
          <CopyField id="webhook-url" label="Webhook URL" value={created.webhook_url} />
          <CopyField id="webhook-secret" label="Webhook secret" value={created.webhook_secret} />
          <h3>On GitHub, Gitea or Forgejo</h3>
          <ol>
            <li>
              Open the repository's <strong>Settings → Webhooks → Add webhook</strong>.
            </li>
            <li>
              Set the <strong>Payload URL</strong> (Target URL) to the webhook URL above.
            </li>
            <li>
              Set the <strong>Content type</strong> to <code>application/json</code>.
            </li>
            <li>
              Paste the webhook secret as the <strong>Secret</strong>.
            </li>
            <li>
              Choose the <strong>push</strong> and <strong>pull_request</strong> events (on GitHub: "Let me select
              individual events", then Pushes and Pull requests), and save.
            </li>
          </ol>
          <h3>On a plain git server</h3>
          <p>
            In the bare repository, make <code>hooks/post-receive</code> executable with:
          </p>
          <pre class="code">{`#!/bin/sh\nexec gantry hook post-receive "${created.webhook_url}" "$WEBHOOK_SECRET"`}</pre>
          {created.poll_interval > 0 && (
            <p>
              Gantry also fetches the repository every {created.poll_interval} seconds and starts runs for branches
              and tags that moved.
            </p>
          )}
          <p>
            Workflows are read from <code>.github/workflows/*.yml</code>; the <a href="/patterns">pipeline patterns</a>{' '}
            are a place to start.
          </p>
        </section>
        <p>
          <a class="button primary" href={`/${created.name}`}>
            Go to {created.name}
          </a>
        </p>
      </Page>
    );
  }

  return (
    <Page title="New project">
      <form class="card form" onSubmit={submit} aria-labelledby="new-title">
        <h1 id="new-title">New project</h1>
        <div class="field">
          <label for="project-name">Name</label>
          <input
            id="project-name"
            name="name"
            required
            placeholder="owner/name"
            autoComplete="off"
            spellcheck={false}
            value={name}
            aria-describedby="name-help"
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <span id="name-help" class="help">
            owner/name: letters, digits, '-', '_' and '.'
          </span>
        </div>
        <div class="field">
          <label for="project-repository">Git repository URL</label>
          <input
            id="project-repository"
            name="repository"
            required
            autoComplete="off"
            spellcheck={false}
            placeholder="https://git.example.org/owner/name.git"
            value={repository}
            aria-describedby="repo-help"
            onInput={(e) => setRepository(e.currentTarget.value)}
          />
          <span id="repo-help" class="help">
            Any URL git can fetch, or a path on the server
          </span>
        </div>
        <div class="field">
          <label for="project-branch">Default branch</label>
          <input id="project-branch" name="default_branch" spellcheck={false} value={branch} onInput={(e) => setBranch(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="project-poll">Poll interval (seconds)</label>
          <input
            id="project-poll"
            name="poll_interval"
            type="number"
            min={0}
            max={86400}
            inputMode="numeric"
            value={poll}
            aria-describedby="poll-help"
            onInput={(e) => setPoll(e.currentTarget.value)}
          />
          <span id="poll-help" class="help">
            Optional: fetch the repository this often and run what moved, for servers that cannot send webhooks
          </span>
        </div>
        <ErrorBox error={error} />
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create project'}
          </button>
        </div>
      </form>
    </Page>
  );
}
