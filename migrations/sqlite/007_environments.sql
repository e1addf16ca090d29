-- Environments (docs/server.md, "Environments and approvals"): per project, the protection rules
-- a job naming the environment in `environment:` passes before it runs (required reviewers, a
-- wait timer, allowed branches and tags), and the environment's own secrets and variables.
-- reviewers and branches are JSON arrays of strings.
CREATE TABLE environments (
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  reviewers TEXT NOT NULL DEFAULT '[]',
  wait_timer INTEGER NOT NULL DEFAULT 0,
  branches TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, name)
);
CREATE TABLE environment_secrets (
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  environment TEXT NOT NULL,
  name TEXT NOT NULL,
  ciphertext BLOB NOT NULL,
  updated_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, environment, name)
);
CREATE TABLE environment_variables (
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  environment TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, environment, name)
);
-- A job instance gated by an environment: state waiting (reviewers or a wait timer), approved
-- (released to the queue), rejected; not_before is when its wait timer ends (0 = not started).
CREATE TABLE job_environments (
  job_id INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  environment TEXT NOT NULL,
  url TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'waiting',
  needs_review INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER NOT NULL DEFAULT 0,
  requested_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX job_environments_run ON job_environments (run_id);
CREATE INDEX job_environments_state ON job_environments (state);
-- Each reviewer's decision on a run's environment.
CREATE TABLE environment_approvals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  environment TEXT NOT NULL,
  user_id INTEGER NOT NULL DEFAULT 0,
  username TEXT NOT NULL DEFAULT '',
  approve INTEGER NOT NULL DEFAULT 0,
  comment TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX environment_approvals_run ON environment_approvals (run_id);
