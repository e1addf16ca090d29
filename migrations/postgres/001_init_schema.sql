-- Gantry's initial schema (PostgreSQL). Keep in step with sqlite/001_init_schema.sql: the same
-- tables, columns and indexes; only the id columns and a few types differ.
-- Times are Unix milliseconds; booleans are 0/1 integers; JSON is text.

CREATE TABLE IF NOT EXISTS schema_version (
  version BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
);

CREATE TABLE users (
  id BIGSERIAL PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL DEFAULT '',
  is_admin BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE tokens (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL DEFAULT '',
  expires_at BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL DEFAULT 0,
  last_used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX tokens_user ON tokens (user_id, kind);

CREATE TABLE projects (
  id BIGSERIAL PRIMARY KEY,
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  repository TEXT NOT NULL DEFAULT '',
  default_branch TEXT NOT NULL DEFAULT '',
  webhook_secret BYTEA NOT NULL DEFAULT ''::bytea,
  poll_interval_seconds BIGINT NOT NULL DEFAULT 0,
  last_polled_sha TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL DEFAULT 0,
  UNIQUE (owner, name)
);

CREATE TABLE members (
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

CREATE TABLE secrets (
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  ciphertext BYTEA NOT NULL,
  updated_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, name)
);

CREATE TABLE variables (
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, name)
);

CREATE TABLE deliveries (
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  delivery_id TEXT NOT NULL,
  received_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, delivery_id)
);

-- The last run_number handed out per (project, workflow file): numbers never repeat, even
-- after runs are deleted, and concurrent CreateRun calls serialise on this row.
CREATE TABLE run_numbers (
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  workflow_file TEXT NOT NULL,
  last_number BIGINT NOT NULL,
  PRIMARY KEY (project_id, workflow_file)
);

CREATE TABLE runs (
  id BIGSERIAL PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  number BIGINT NOT NULL,
  attempt BIGINT NOT NULL DEFAULT 1,
  workflow_file TEXT NOT NULL,
  workflow_name TEXT NOT NULL DEFAULT '',
  event TEXT NOT NULL DEFAULT '',
  ref TEXT NOT NULL DEFAULT '',
  sha TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  conclusion TEXT NOT NULL DEFAULT '',
  event_payload TEXT NOT NULL DEFAULT '',
  inputs TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  cancel_requested BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL DEFAULT 0,
  started_at BIGINT NOT NULL DEFAULT 0,
  completed_at BIGINT NOT NULL DEFAULT 0,
  UNIQUE (project_id, workflow_file, number)
);
CREATE INDEX runs_project ON runs (project_id, id DESC);
CREATE INDEX runs_status ON runs (status, id);

CREATE TABLE jobs (
  id BIGSERIAL PRIMARY KEY,
  run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  attempt BIGINT NOT NULL DEFAULT 1,
  job_id TEXT NOT NULL,
  instance BIGINT NOT NULL DEFAULT 0,
  name TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  conclusion TEXT NOT NULL DEFAULT '',
  matrix TEXT NOT NULL DEFAULT '',
  strategy TEXT NOT NULL DEFAULT '',
  needs TEXT NOT NULL DEFAULT '',
  outputs TEXT NOT NULL DEFAULT '',
  labels TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  continued_on_error BIGINT NOT NULL DEFAULT 0,
  executor TEXT NOT NULL DEFAULT '',
  lease_id TEXT NOT NULL DEFAULT '',
  lease_expires_at BIGINT NOT NULL DEFAULT 0,
  completion_seq BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL DEFAULT 0,
  started_at BIGINT NOT NULL DEFAULT 0,
  completed_at BIGINT NOT NULL DEFAULT 0,
  UNIQUE (run_id, attempt, job_id, instance)
);
CREATE INDEX jobs_status ON jobs (status, id);

CREATE TABLE steps (
  job_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  stage TEXT NOT NULL DEFAULT '',
  idx BIGINT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  conclusion TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  background BIGINT NOT NULL DEFAULT 0,
  started_at BIGINT NOT NULL DEFAULT 0,
  completed_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, stage, idx)
);

-- byte_offset/size in bytes of the job's log; data is bytes (logs need not be UTF-8).
CREATE TABLE log_chunks (
  job_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,
  step BIGINT NOT NULL DEFAULT -1,
  byte_offset BIGINT NOT NULL,
  size BIGINT NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (job_id, seq)
);
CREATE INDEX log_chunks_offset ON log_chunks (job_id, byte_offset);

CREATE TABLE annotations (
  id BIGSERIAL PRIMARY KEY,
  job_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  step BIGINT NOT NULL DEFAULT -1,
  level TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  file TEXT NOT NULL DEFAULT '',
  line BIGINT NOT NULL DEFAULT 0,
  end_line BIGINT NOT NULL DEFAULT 0,
  col BIGINT NOT NULL DEFAULT 0,
  end_col BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX annotations_job ON annotations (job_id, id);

CREATE TABLE artifacts (
  id BIGSERIAL PRIMARY KEY,
  run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  job_id BIGINT NOT NULL DEFAULT 0,
  name TEXT NOT NULL,
  path TEXT NOT NULL DEFAULT '',
  size BIGINT NOT NULL DEFAULT 0,
  sha256 TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL DEFAULT 0,
  UNIQUE (run_id, name)
);

CREATE TABLE caches (
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  version TEXT NOT NULL DEFAULT '',
  path TEXT NOT NULL DEFAULT '',
  size BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, key, version)
);
CREATE INDEX caches_newest ON caches (project_id, version, created_at DESC);

CREATE TABLE executors (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  labels TEXT NOT NULL DEFAULT '[]',
  version TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'online',
  capacity BIGINT NOT NULL DEFAULT 1,
  last_seen BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE patterns (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  workflow TEXT NOT NULL DEFAULT ''
);

-- No foreign keys: the audit trail outlives the users and projects it names (0 = none).
CREATE TABLE audit_events (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL DEFAULT 0,
  project_id BIGINT NOT NULL DEFAULT 0,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  details TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX audit_project ON audit_events (project_id, id DESC);
