-- Reports of jobs (issue 14): line coverage, test results and security findings that a step
-- handed over (src/reports/report.h). `data` is the report's wire JSON, masked by the server;
-- the count columns let lists and trends skip parsing it. One row per (job, step, kind): the
-- executor may send a report again after a lost answer.
CREATE TABLE reports (
  id BIGSERIAL PRIMARY KEY,
  run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  attempt BIGINT NOT NULL,
  job_key TEXT NOT NULL,   -- the job's id under jobs: and matrix instance ("test#2")
  job_name TEXT NOT NULL,
  step BIGINT NOT NULL,
  kind TEXT NOT NULL,      -- coverage | tests | security
  lines_total BIGINT NOT NULL DEFAULT 0,
  lines_covered BIGINT NOT NULL DEFAULT 0,
  passed BIGINT NOT NULL DEFAULT 0,
  failed BIGINT NOT NULL DEFAULT 0,
  skipped BIGINT NOT NULL DEFAULT 0,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (job_id, step, kind)
);
CREATE INDEX reports_run ON reports (run_id, kind);
-- A project's security findings per branch, deduplicated by fingerprint: open while the
-- newest run reporting that tool on the branch reported it, fixed once such a run did not.
CREATE TABLE findings (
  id BIGSERIAL PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  branch TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  tool TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  severity TEXT NOT NULL,
  message TEXT NOT NULL,
  file TEXT NOT NULL,
  line BIGINT NOT NULL DEFAULT 0,
  state TEXT NOT NULL,     -- open | fixed
  first_seen_run_id BIGINT NOT NULL,
  last_seen_run_id BIGINT NOT NULL,
  fixed_run_id BIGINT,
  updated_at BIGINT NOT NULL,
  UNIQUE (project_id, branch, fingerprint)
);
CREATE INDEX findings_state ON findings (project_id, branch, state);
