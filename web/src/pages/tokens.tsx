// /settings/tokens: personal access tokens for the CLI, gh and scripts.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, type Token } from '../api';
import { ConfirmButton, CopyField, ErrorBox, Loading, Page, RelativeTime, focusErrorField } from '../components';
import { UserNotifications } from './user_notifications';

const scopeHelp: Record<string, string> = {
  read: 'read projects, runs and logs only',
  repo: 'read and write everything your roles allow',
  workflow: 'read, and start, cancel and re-run runs',
  admin: 'everything your roles allow (as repo)',
};

function When({ iso, never }: { iso: string | null; never: string }) {
  return iso ? <RelativeTime iso={iso} /> : <span class="muted">{never}</span>;
}

function Expires({ iso }: { iso: string | null }) {
  if (!iso) return <span class="muted">Never</span>;
  const t = Date.parse(iso);
  const date = new Date(t).toLocaleDateString();
  return t < Date.now() ? (
    <span class="error">Expired {date}</span>
  ) : (
    <time dateTime={iso} title={new Date(t).toLocaleString()}>
      {date}
    </time>
  );
}

export function TokensPage() {
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['repo']);
  const [days, setDays] = useState('30');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [fresh, setFresh] = useState<Token | null>(null);
  const [notice, setNotice] = useState('');
  const freshHeading = useRef<HTMLHeadingElement>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);

  async function load() {
    try {
      setTokens((await api.get<{ tokens: Token[] }>('/api/v1/user/tokens')).tokens);
      setLoadError(null);
    } catch (e) {
      setLoadError(e);
    }
  }
  useEffect(() => {
    load();
  }, []);
  useLayoutEffect(() => {
    if (fresh) freshHeading.current?.focus();
  }, [fresh]);

  async function create(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setBusy(true);
    setError(null);
    try {
      const t = await api.post<Token>('/api/v1/user/tokens', {
        name: name.trim(),
        scopes,
        expires_in_days: days.trim() ? Number(days) : 0,
      });
      setFresh(t);
      setName('');
      focusErrorField(form, null);
      await load();
    } catch (err) {
      setError(err);
      focusErrorField(form, err);
    } finally {
      setBusy(false);
    }
  }

  async function revoke(t: Token) {
    try {
      await api.del(`/api/v1/user/tokens/${t.id}`);
      if (fresh?.id === t.id) setFresh(null);
      setNotice(`Token ${t.name} revoked`);
      await load();
      listHeading.current?.focus();
    } catch (err) {
      setLoadError(err);
    }
  }

  const toggle = (s: string, on: boolean) => setScopes((cur) => (on ? [...cur.filter((x) => x !== s), s] : cur.filter((x) => x !== s)));

  return (
    <Page title="Personal access tokens">
      <h1>Personal access tokens</h1>
      <p class="muted">
        Tokens sign in the <code>gantry</code> and <code>gh</code> command-line tools and scripts (
        <code>Authorization: Bearer TOKEN</code>). A token acts as you, within its scopes.
      </p>

      {fresh?.token && (
        <section class="card stack notice" aria-labelledby="fresh-title">
          <h2 id="fresh-title" tabIndex={-1} ref={freshHeading}>
            Token {fresh.name} created
          </h2>
          <p>
            Copy it now: <strong>it is not shown again</strong>.
          </p>
          <CopyField id="new-token" label="New token" value={fresh.token} />
          <div>
            <button type="button" onClick={() => setFresh(null)}>
              Done
            </button>
          </div>
        </section>
      )}

      <h2 id="tokens-title" tabIndex={-1} ref={listHeading}>
        Your tokens
      </h2>
      <p class="visually-hidden" role="status" aria-live="polite">
        {notice}
      </p>
      <ErrorBox error={loadError} />
      {!tokens && !loadError && <Loading what="tokens" />}
      {tokens && tokens.length === 0 && <p class="empty">No tokens yet.</p>}
      {tokens && tokens.length > 0 && (
        <div class="table-wrap">
          <table data-testid="tokens" aria-labelledby="tokens-title">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id} data-token-id={t.id}>
                  <th scope="row">{t.name}</th>
                  <td>{t.scopes ? t.scopes.split(',').join(', ') : <span class="muted">all</span>}</td>
                  <td>
                    <When iso={t.created_at} never="" />
                  </td>
                  <td>
                    <When iso={t.last_used_at} never="Never used" />
                  </td>
                  <td>
                    <Expires iso={t.expires_at} />
                  </td>
                  <td class="actions">
                    <ConfirmButton
                      label="Revoke"
                      what={t.name}
                      question={`Revoke ${t.name}? Programs using it stop working.`}
                      onConfirm={() => revoke(t)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <form class="card form" onSubmit={create} aria-labelledby="create-title">
        <h2 id="create-title">New token</h2>
        <label>
          Name
          <input name="name" required value={name} placeholder="laptop gh" autoComplete="off" onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {(['read', 'repo', 'workflow', 'admin'] as const).map((s) => (
            <label class="check" key={s}>
              <input type="checkbox" name="scopes" value={s} checked={scopes.includes(s)} onChange={(e) => toggle(s, e.currentTarget.checked)} />
              <span>
                <code>{s}</code> <span class="muted">{scopeHelp[s]}</span>
              </span>
            </label>
          ))}
          <p class="help">No scope at all gives the token every scope.</p>
        </fieldset>
        <div class="field">
          <label for="token-days">Expires after (days)</label>
          <input
            id="token-days"
            name="expires_in_days"
            type="number"
            min={0}
            max={3650}
            inputMode="numeric"
            value={days}
            aria-describedby="days-help"
            onInput={(e) => setDays(e.currentTarget.value)}
          />
          <span id="days-help" class="help">
            0 or empty: never expires
          </span>
        </div>
        <ErrorBox error={error} />
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>

      <UserNotifications />
    </Page>
  );
}
