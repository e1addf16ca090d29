// Shapes of the run and job JSON the run and log pages read, beyond api.ts's (docs/server.md
// "The API"; src/server/runs_api.cc). Fields the server may not send yet are optional.
import type { Annotation, Job, Run, Step } from '../api';

export interface StepX extends Step {
  index?: number;
  stage?: string; // "pre" | "" | "post"
  outcome?: string | null;
  error?: string;
}

export interface JobX extends Omit<Job, 'steps'> {
  steps: StepX[];
  needs?: string[];
  outputs?: Record<string, unknown>;
}

export interface GraphEntry {
  id: string;
  name: string;
  needs: string[];
  matrix: boolean;
}

export interface RunX extends Omit<Run, 'jobs'> {
  jobs?: JobX[];
  graph?: GraphEntry[];
  inputs?: Record<string, unknown>;
}

export interface JobDetail extends JobX {
  summary?: string;
  annotations?: Annotation[];
}

export interface ArtifactX {
  id: number;
  name: string;
  size_in_bytes?: number;
  size?: number;
  job_id?: number;
  created_at?: string | null;
  expired?: boolean;
}

/** "Pre x" / "x" / "Post x", like the server's StepName (the stored name may carry it). */
export function stepName(s: StepX): string {
  if (s.stage === 'pre' && !s.name.startsWith('Pre ')) return 'Pre ' + s.name;
  if (s.stage === 'post' && !s.name.startsWith('Post ')) return 'Post ' + s.name;
  return s.name;
}

/** The step's anchor on the log page: "step-N" (N = the API's number), "step-pre-N" and
 * "step-post-N" for the pre and post stages. */
export function stepAnchor(s: { number: number; stage?: string }): string {
  return s.stage === 'pre' || s.stage === 'post' ? `step-${s.stage}-${s.number}` : `step-${s.number}`;
}

/** Steps in display order: pre stages first, then by index (the server's NumberedSteps). */
export function orderedSteps<T extends StepX>(steps: T[]): T[] {
  return steps
    .map((s, i) => ({ s, i }))
    .sort((a, b) => {
      const pa = a.s.stage === 'pre' ? 0 : 1,
        pb = b.s.stage === 'pre' ? 0 : 1;
      if (pa !== pb) return pa - pb;
      const ia = a.s.index ?? a.s.number - 1,
        ib = b.s.index ?? b.s.number - 1;
      return ia - ib || a.i - b.i;
    })
    .map((x) => x.s);
}

const writers = ['developer', 'maintainer', 'owner', 'admin'];
/** May the user cancel and re-run? Unknown roles get the buttons (the server decides). */
export function canWrite(role: string | undefined | null): boolean {
  return !role || writers.includes(role);
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined || !isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024,
    u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** Job pages' URL. */
export const jobUrl = (owner: string, name: string, runId: number | string, jobId: number) =>
  `/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/runs/${runId}/jobs/${jobId}`;
