// Small pieces every page uses: status icons, durations, relative times, errors.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

/** One word for a run's, job's or step's state: success, failure, cancelled, skipped,
 * in_progress, queued, waiting, neutral. */
export function stateOf(status: string, conclusion: string | null | undefined): string {
  if (status !== 'completed') return status === 'in_progress' || status === 'running' ? 'in_progress' : status;
  return conclusion ?? 'neutral';
}

const labels: Record<string, string> = {
  success: 'Success',
  failure: 'Failed',
  cancelled: 'Cancelled',
  skipped: 'Skipped',
  in_progress: 'In progress',
  queued: 'Queued',
  waiting: 'Waiting',
  neutral: 'Completed',
};

const glyphs: Record<string, string> = {
  success: '✓',
  failure: '✗',
  cancelled: '⊘',
  skipped: '−',
  in_progress: '●',
  queued: '○',
  waiting: '◷',
  neutral: '•',
};

export function StatusIcon({ status, conclusion }: { status: string; conclusion?: string | null }) {
  const s = stateOf(status, conclusion);
  return (
    <span class={`status status-${s}`} role="img" aria-label={labels[s] ?? s} title={labels[s] ?? s} data-state={s}>
      {glyphs[s] ?? '•'}
    </span>
  );
}

export function formatDuration(ms: number): string {
  if (!isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Re-renders every second while `end` is open, so running durations tick. */
export function Duration({ start, end }: { start: string | null; end: string | null }) {
  const [, tick] = useState(0);
  useEffect(() => {
    if (!start || end) return;
    const t = setInterval(() => tick((x) => x + 1), 1000);
    return () => clearInterval(t);
  }, [start, end]);
  if (!start) return null;
  const ms = (end ? Date.parse(end) : Date.now()) - Date.parse(start);
  return <span class="duration">{formatDuration(ms)}</span>;
}

export function relativeTime(iso: string | null, now = Date.now()): string {
  if (!iso) return '';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} hour${h === 1 ? '' : 's'} ago`;
  const d = Math.round(h / 24);
  return `${d} day${d === 1 ? '' : 's'} ago`;
}

export function RelativeTime({ iso }: { iso: string | null }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((x) => x + 1), 30000);
    return () => clearInterval(t);
  }, []);
  if (!iso) return null;
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {relativeTime(iso)}
    </time>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · Gantry`;
  }, [title]);
  return (
    <main id="main" tabIndex={-1}>
      {children}
    </main>
  );
}

/** Loads `load()` when `deps` change: [value, error, reload]. A stale answer (deps changed
 * while it was on its way) is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [T | undefined, unknown, () => Promise<void>] {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const gen = useRef(0);
  const run = useCallback(async () => {
    const mine = ++gen.current;
    try {
      const v = await load();
      if (mine === gen.current) {
        setValue(v);
        setError(null);
      }
    } catch (e) {
      if (mine === gen.current) setError(e);
    }
  }, deps);
  useEffect(() => {
    setValue(undefined);
    setError(null);
    run();
  }, [run]);
  return [value, error, run];
}

/** Copies text to the clipboard (navigator.clipboard where the page is a secure context,
 * else a selected off-screen textarea) and says so in a polite live region. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall back below */
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.left = '-9999px';
  document.body.appendChild(ta);
  const focused = document.activeElement as HTMLElement | null;
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  focused?.focus();
  return ok;
}

export function CopyButton({ text, label = 'Copy', what }: { text: string; label?: string; what?: string }) {
  const [state, setState] = useState<'' | 'copied' | 'failed'>('');
  useEffect(() => {
    if (!state) return;
    const t = setTimeout(() => setState(''), 2000);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <span class="copy">
      <button
        type="button"
        aria-label={what ? `${label} ${what}` : undefined}
        onClick={async () => setState((await copyText(text)) ? 'copied' : 'failed')}
      >
        {label}
      </button>
      <span class="muted" role="status" aria-live="polite">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text and copy it' : ''}
      </span>
    </span>
  );
}

/** A value shown once or often copied: read-only text with a copy button. */
export function CopyField({ label, value, id }: { label: string; value: string; id: string }) {
  return (
    <div class="copy-field">
      <label for={id}>{label}</label>
      <div class="row">
        <input id={id} class="mono" readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={value} what={label} />
      </div>
    </div>
  );
}

/** A destructive button that asks first, in place: "Delete X?" [Delete] [Cancel]. Focus moves
 * to the confirming button and back to the first one on Cancel or Escape. */
export function ConfirmButton({
  label,
  confirmLabel,
  question,
  onConfirm,
  what,
}: {
  label: string;
  confirmLabel?: string;
  question: string;
  onConfirm: () => Promise<unknown> | void;
  what?: string;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLButtonElement>(null);
  const yes = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useLayoutEffect(() => {
    if (asking) yes.current?.focus();
    else if (wasAsking.current) first.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" class="danger" ref={first} aria-label={what ? `${label} ${what}` : undefined} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question} onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      <span>{question}</span>
      <button
        type="button"
        class="danger"
        ref={yes}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          // When the confirmed action removes this row, focus goes to its section's heading
          // instead of being lost to the document.
          const button = yes.current;
          const home = button?.closest('section, main')?.querySelector<HTMLElement>('h2, h1');
          try {
            await onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
            if (button && !button.isConnected && home?.isConnected) {
              if (!home.hasAttribute('tabindex')) home.setAttribute('tabindex', '-1');
              home.focus();
            }
          }
        }}
      >
        {confirmLabel ?? label}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

export function Loading({ what }: { what?: string }) {
  return (
    <p class="muted" aria-busy="true">
      Loading{what ? ` ${what}` : ''}…
    </p>
  );
}

export function NotFoundNotice({ error }: { error: unknown }) {
  return (
    <>
      <ErrorBox error={error} />
      <p>
        <a href="/">Go to your projects</a>
      </p>
    </>
  );
}

/** After a failed submit: marks the input the API's error names (`field`, e.g. "repository")
 * as invalid and focuses it, so the message and the place to fix it go together. */
export function focusErrorField(form: HTMLFormElement | null, error: unknown) {
  if (!form) return;
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  const field = (error as { field?: string } | null)?.field;
  if (!field) return;
  const el = form.querySelector<HTMLElement>(`[name="${CSS.escape(field)}"]`);
  if (!el) return;
  el.setAttribute('aria-invalid', 'true');
  el.focus();
}
