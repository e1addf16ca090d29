// Small pieces every page uses: status icons, durations, relative times, errors.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

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
  return <main id="main">{children}</main>;
}
