// The one place the UI talks to the server: /api/v1 with the session cookie.
// Every state-changing request carries X-Gantry-Client: web, which the server requires of
// cookie-authenticated writes (CSRF protection: a cross-site form cannot set a header).

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field?: string,
  ) {
    super(message);
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-Gantry-Client'] = 'web';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'the server cannot be reached');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: any = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const e = data?.error;
    if (res.status === 401 && !path.startsWith('/api/v1/auth/')) unauthorized();
    throw new ApiError(res.status, e?.code ?? 'http_' + res.status, e?.message ?? res.statusText, e?.field);
  }
  return data as T;
}

let onUnauthorized: () => void = () => {};
function unauthorized() {
  onUnauthorized();
}
export function setUnauthorizedHandler(f: () => void) {
  onUnauthorized = f;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body ?? {}),
  del: <T>(path: string) => request<T>('DELETE', path),
};

export const enc = encodeURIComponent;
export const projectPath = (owner: string, name: string) =>
  `/api/v1/projects/${enc(owner)}/${enc(name)}`;

// ---- shapes (docs/server.md "The API") ----
export interface User {
  id: number;
  username: string;
  email?: string;
  is_admin?: boolean;
}
export interface Project {
  id: number;
  name: string; // the full name, "owner/name"
  owner: string;
  repository: string;
  default_branch: string;
  poll_interval: number;
  webhook_url: string;
  created_at: string;
  role?: string; // the signed-in user's role: viewer | developer | maintainer | owner
}
export interface Step {
  number: number;
  name: string;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  [k: string]: unknown;
}
export interface Annotation {
  step: number;
  level: string;
  message: string;
  title: string;
  file: string;
  line: number;
  end_line: number;
  column: number;
  end_column: number;
}
export interface Job {
  id: number;
  run_id: number;
  attempt: number;
  job_id: string;
  instance: number;
  name: string;
  status: string;
  conclusion: string | null;
  matrix: Record<string, unknown> | null;
  needs?: string[];
  error: string;
  executor: string;
  labels: string[];
  created_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  steps: Step[];
  waiting_reason?: string;
  summary?: string;
  annotations?: Annotation[];
}
export interface Run {
  id: number;
  project: string;
  run_number: number;
  attempt: number;
  workflow: string; // .github/workflows/ci.yml
  name: string; // the workflow's name
  display_title: string;
  event: string;
  ref: string;
  head_branch: string;
  head_sha: string;
  actor: string;
  status: string; // queued | in_progress | completed (see the API)
  conclusion: string | null;
  error: string;
  created_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  html_url: string;
  jobs?: Job[];
}
export interface Artifact {
  id: number;
  name: string;
  size: number;
  [k: string]: unknown;
}
export interface RunList {
  runs: Run[];
  next: number | null; // the cursor for ?before= (null on the last page)
}
export interface Workflow {
  id: number;
  name: string;
  path: string; // .github/workflows/ci.yml
  state: string; // active | deleted
  yaml?: string; // GET …/workflows/{file} only
}
export interface Token {
  id: number;
  name: string;
  scopes: string; // comma-separated: read, repo, workflow, admin ("" = every scope)
  expires_at: string | null;
  created_at: string | null;
  last_used_at: string | null;
  token?: string; // only in the answer to its creation
}
export interface Member {
  username: string;
  role: string;
}
export interface Secret {
  name: string;
  updated_at: string | null;
}
export interface Variable {
  name: string;
  value: string;
  updated_at: string | null;
}
export interface Pattern {
  name: string;
  description: string;
  workflow: string; // the workflow YAML
}

// ---- roles (docs/server.md "The API": viewer < developer < maintainer < owner) ----
export const roles = ['viewer', 'developer', 'maintainer', 'owner'] as const;
export const roleRank = (role: string | undefined) => roles.indexOf((role ?? '') as (typeof roles)[number]);
/** Whether the signed-in user's role reaches `min`. A project without `role` (an older server)
 * shows everything: the server still refuses what the role does not allow. */
export function hasRole(project: Project | null | undefined, min: (typeof roles)[number]): boolean {
  if (!project) return false;
  if (project.role === undefined) return true;
  return roleRank(project.role) >= roleRank(min);
}
