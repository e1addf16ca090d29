-- Deployments (docs/server.md, "Deployments"): one row per job instance with an
-- `environment:` that was queued, recorded per environment name. status: queued |
-- in_progress | success | failure | cancelled | inactive (a newer successful deployment to the
-- same environment makes older successful ones inactive, as on GitHub).
CREATE TABLE deployments (
  id BIGSERIAL PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  environment TEXT NOT NULL,
  sha TEXT NOT NULL DEFAULT '',
  ref TEXT NOT NULL DEFAULT '',
  workflow_file TEXT NOT NULL DEFAULT '',
  run_id BIGINT NOT NULL DEFAULT 0,
  job_row_id BIGINT NOT NULL DEFAULT 0,
  job_id TEXT NOT NULL DEFAULT '',
  attempt BIGINT NOT NULL DEFAULT 1,
  actor TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'queued',
  url TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL DEFAULT 0
);
-- One deployment per job row (the scheduler's hooks may be replayed after a restart).
CREATE UNIQUE INDEX deployments_job_row ON deployments (job_row_id);
CREATE INDEX deployments_project_env ON deployments (project_id, environment, id);
