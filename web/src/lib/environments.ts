// Pure pieces of environments, approvals and deployments (docs/server.md "Environments and
// approvals", "Deployments"): their shapes, the environment form's body and error fields, the
// deployments page's query and per-environment view.
import { lines } from './delivery_settings';

export interface Environment {
  name: string;
  reviewers: string[];
  wait_timer: number; // seconds
  branches: string[];
  created_at: string | null;
  updated_at: string | null;
}

export interface PendingJob {
  id: number;
  name: string;
  state: string; // waiting_for_review | wait_timer
  wait_timer_ends_at: string | null;
}
export interface PendingEnvironment {
  environment: string;
  reviewers: string[];
  wait_timer: number;
  jobs: PendingJob[];
}
export interface Approval {
  environment: string;
  user: string;
  approve: boolean;
  comment: string;
  created_at: string | null;
}
export interface RunApprovals {
  run_id: number;
  pending: PendingEnvironment[];
  approvals: Approval[];
}

export interface Deployment {
  id: number;
  environment: string;
  sha: string;
  ref: string;
  workflow: string;
  run_id: number;
  job_id: string;
  attempt: number;
  actor: string;
  status: string; // queued | in_progress | success | failure | cancelled | inactive
  url: string;
  created_at: string | null;
  updated_at: string | null;
}

export interface EnvironmentForm {
  name: string;
  reviewers: string; // one a line (or separated by commas)
  wait_timer: string; // minutes, as typed
  branches: string; // one a line
}

export function environmentForm(e: Environment | null | undefined): EnvironmentForm {
  return {
    name: e?.name ?? '',
    reviewers: (e?.reviewers ?? []).join('\n'),
    wait_timer: e && e.wait_timer ? String(e.wait_timer / 60) : '',
    branches: (e?.branches ?? []).join('\n'),
  };
}

/** The PUT …/environments/{env} body. The wait timer is typed in minutes and sent in seconds;
 * what is not a number is sent as -1 so that the server names the field. */
export function environmentBody(f: EnvironmentForm): { reviewers: string[]; wait_timer: number; branches: string[] } {
  const reviewers = lines(f.reviewers.replace(/,/g, '\n'));
  const typed = f.wait_timer.trim();
  const minutes = typed === '' ? 0 : Number(typed);
  const wait_timer = Number.isFinite(minutes) && minutes >= 0 ? Math.round(minutes * 60) : -1;
  return { reviewers, wait_timer, branches: lines(f.branches) };
}

/** The form field an API error's `field` names: `reviewers[1]` → `reviewers` (the textarea). */
export function environmentField(field: string | undefined): string | undefined {
  const m = /^(reviewers|branches)\[\d+\]$/.exec(field ?? '');
  return m ? m[1] : field;
}

/** The line of the textarea an indexed error names (`branches[2]` → 3), else null. */
export function environmentFieldLine(field: string | undefined): number | null {
  const m = /^(?:reviewers|branches)\[(\d+)\]$/.exec(field ?? '');
  return m ? Number(m[1]) + 1 : null;
}

/** "1 h 30 min", "5 min", "45 s": a wait timer in words. */
export function formatWait(seconds: number): string {
  if (!seconds) return 'none';
  const parts: string[] = [];
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d) parts.push(`${d} d`);
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  if (s) parts.push(`${s} s`);
  return parts.join(' ');
}

/** The API query of the deployments page: `?environment=E&limit=N&before=ID`, what is unset
 * left out. */
export function deploymentsQuery(o: { environment?: string; before?: number; limit?: number }): string {
  const q = new URLSearchParams();
  if (o.environment) q.set('environment', o.environment);
  if (o.limit) q.set('limit', String(o.limit));
  if (o.before !== undefined) q.set('before', String(o.before));
  const s = q.toString();
  return s ? '?' + s : '';
}

/** The environments of a list of deployments, in the order their newest deployment appears
 * (the list is newest first), each with that newest deployment. */
export function latestByEnvironment(list: Deployment[]): Deployment[] {
  const seen = new Set<string>();
  const out: Deployment[] = [];
  for (const d of list) {
    if (seen.has(d.environment)) continue;
    seen.add(d.environment);
    out.push(d);
  }
  return out;
}

/** The status words of deployments as the status icon's (status, conclusion): a finished
 * deployment is a completed one with that conclusion; `inactive` (replaced by a newer good
 * one) shows as neutral. */
export function deploymentState(status: string): { status: string; conclusion: string | null } {
  if (status === 'queued' || status === 'in_progress' || status === 'waiting') return { status, conclusion: null };
  if (status === 'inactive') return { status: 'completed', conclusion: 'neutral' };
  return { status: 'completed', conclusion: status };
}

/** The labels of a deployment's status, in words. */
export const deploymentLabels: Record<string, string> = {
  queued: 'Queued',
  in_progress: 'In progress',
  success: 'Active',
  failure: 'Failed',
  cancelled: 'Cancelled',
  inactive: 'Inactive',
  error: 'Error',
};

/** A url the page may link to: http(s) only (a deployment's url comes from a workflow). */
export function safeHttpUrl(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** Whether the user may decide a pending environment: a reviewer (case-insensitively) or an
 * admin. Without reviewers nobody is asked (a wait timer alone). */
export function mayReview(reviewers: string[], username: string | undefined, admin: boolean | undefined): boolean {
  if (!username) return false;
  if (admin) return true;
  const me = username.toLowerCase();
  return reviewers.some((r) => r.toLowerCase() === me);
}
