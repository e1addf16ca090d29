// Shapes of the run and job JSON the run and log pages read, beyond api.ts's (docs/server.md
// "The API"; src/server/runs_api.cc). Fields the server may not send yet are optional.
import type { Annotation, Job, Run, Step } from '../api';
import type { LogModel } from './log_model';

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
  environment?: string; // a deploying job's environment
  environment_url?: string;
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
  waiting_for?: string[]; // the environments its jobs wait for (status "waiting")
}

export interface JobDetail extends JobX {
  summary?: string;
  annotations?: Annotation[];
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

/** The same step (stage and index) in two step lists. */
export function sameStep(a: StepX, b: StepX): boolean {
  return (a.stage ?? '') === (b.stage ?? '') && (a.index ?? a.number - 1) === (b.index ?? b.number - 1);
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
      return ia - ib || (a.s.stage === 'post' ? 1 : 0) - (b.s.stage === 'post' ? 1 : 0) || a.i - b.i;
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

// ---- the job graph's nodes ----

export interface GraphGroup {
  id: string;
  name: string;
  needs: string[];
  matrix: boolean;
  jobs: JobX[];
}

const stripMatrix = (name: string) => name.replace(/\s*\([^()]*\)\s*$/, '') || name;

/** The graph's nodes: the server's graph with the jobs of each, or one node per job id. */
export function graphGroups(jobs: JobX[], graph: GraphEntry[] | undefined): GraphGroup[] {
  const byJobId = new Map<string, JobX[]>();
  for (const j of [...jobs].sort((a, b) => a.id - b.id)) {
    const list = byJobId.get(j.job_id);
    if (list) list.push(j);
    else byJobId.set(j.job_id, [j]);
  }
  const out: GraphGroup[] = [];
  const seen = new Set<string>();
  for (const g of graph ?? []) {
    if (seen.has(g.id)) continue;
    seen.add(g.id);
    out.push({ id: g.id, name: g.name || g.id, needs: g.needs ?? [], matrix: !!g.matrix, jobs: byJobId.get(g.id) ?? [] });
  }
  for (const [id, list] of byJobId) {
    if (seen.has(id)) continue;
    seen.add(id);
    const first = list[0];
    const isMatrix = list.length > 1 || (!!first.matrix && Object.keys(first.matrix).length > 0);
    out.push({
      id,
      name: isMatrix ? stripMatrix(first.name) : first.name,
      needs: first.needs ?? [],
      matrix: isMatrix,
      jobs: list,
    });
  }
  return out;
}

// ---- the log's step headers ----

/** Header line index → the anchor of the API step it starts ("step-N"). */
export function stepAnchors(model: LogModel, steps: StepX[]): Map<number, string> {
  const out = new Map<number, string>();
  const used = new Set<StepX>();
  for (const f of model.folds) {
    if (f.kind !== 'step') continue;
    const l = model.lines[f.head];
    const idx = l.stepIndex;
    const cands = steps.filter((s) => (s.index ?? s.number - 1) === idx && !used.has(s));
    const s =
      cands.find((c) => stepName(c) === l.plain || c.name === l.plain) ??
      cands.find((c) => !c.stage || c.stage === 'main') ??
      cands[0];
    if (s) {
      used.add(s);
      out.set(f.head, stepAnchor(s));
    } else if (idx !== undefined) out.set(f.head, `step-${idx + 1}`);
  }
  return out;
}

