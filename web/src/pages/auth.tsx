import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { ErrorBox, Page } from '../components';
import { loadUser } from '../session';

function safeNext(next: string | undefined): string {
  // Only same-site paths: never "//host" or "https://…" (an open redirect).
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function AuthForm({ mode }: { mode: 'login' | 'signup' }) {
  const { query, route } = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [email, setEmail] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const title = mode === 'login' ? 'Log in' : 'Sign up';

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'signup') {
        const body: Record<string, string> = { username, password };
        if (email) body.email = email;
        await api.post('/api/v1/auth/signup', body);
      }
      await api.post('/api/v1/auth/login', { username, password });
      await loadUser();
      route(safeNext(query.next));
    } catch (err) {
      setError(err instanceof ApiError ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title={title}>
      <form class="card narrow" onSubmit={submit} aria-labelledby="auth-title">
        <h1 id="auth-title">{title}</h1>
        <label>
          Username
          <input name="username" autoComplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        {mode === 'signup' && (
          <label>
            E-mail <span class="muted">(optional)</span>
            <input name="email" type="email" autoComplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </label>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {title}
        </button>
        <p class="muted">
          {mode === 'login' ? (
            <>
              No account? <a href="/signup">Sign up</a>
            </>
          ) : (
            <>
              Have an account? <a href="/login">Log in</a>
            </>
          )}
        </p>
      </form>
    </Page>
  );
}

export const LoginPage = () => <AuthForm mode="login" />;
export const SignupPage = () => <AuthForm mode="signup" />;
