// The signed-in user's own notifications (GET/PUT /api/v1/user/notifications), on the account
// page (/settings/tokens): where to e-mail, when, and whether only their own runs count.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox, Loading, focusErrorField, useLoad } from '../components';
import { onLabels, type UserNotificationSettings } from '../lib/delivery_settings';

export function UserNotifications() {
  const [loaded, error] = useLoad(() => api.get<UserNotificationSettings>('/api/v1/user/notifications'), []);
  return (
    <section class="card stack" aria-labelledby="my-notify-title" data-testid="user-notifications">
      <h2 id="my-notify-title">Your notifications</h2>
      <p class="muted small">E-mail about runs of the projects you are a member of, when they complete.</p>
      <ErrorBox error={error} />
      {!loaded && !error && <Loading what="your notification settings" />}
      {loaded && <UserNotificationsForm initial={loaded} />}
    </section>
  );
}

function UserNotificationsForm({ initial }: { initial: UserNotificationSettings }) {
  const [email, setEmail] = useState(initial.email ?? '');
  const [on, setOn] = useState(initial.on || 'never');
  const [onlyOwn, setOnlyOwn] = useState(initial.only_own ?? true);
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
      const r = await api.put<UserNotificationSettings>('/api/v1/user/notifications', { email: email.trim(), on, only_own: onlyOwn });
      focusErrorField(form, null);
      setEmail(r.email ?? '');
      setOn(r.on);
      setOnlyOwn(r.only_own);
      setSaid('Saved');
    } catch (err) {
      setError(err);
      focusErrorField(form, err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="form" onSubmit={save} aria-labelledby="my-notify-title">
      <div class="field">
        <label for="my-notify-email">E-mail</label>
        <input
          id="my-notify-email"
          name="email"
          type="email"
          autoComplete="email"
          aria-describedby="my-notify-email-help"
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <span id="my-notify-email-help" class="help">
          Empty: your account's address
        </span>
      </div>
      <div class="field">
        <label for="my-notify-on">When</label>
        <select id="my-notify-on" name="on" value={on} onChange={(e) => setOn(e.currentTarget.value)}>
          {['never', 'failure', 'fixed', 'always'].map((o) => (
            <option key={o} value={o}>
              {onLabels[o]}
            </option>
          ))}
        </select>
      </div>
      <label class="check">
        <input type="checkbox" name="only_own" checked={onlyOwn} onChange={(e) => setOnlyOwn(e.currentTarget.checked)} />
        Only my runs (the runs I started or pushed)
      </label>
      <ErrorBox error={error} />
      <p class="small" role="status" aria-live="polite">
        {said}
      </p>
      <div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save notifications'}
        </button>
      </div>
    </form>
  );
}
