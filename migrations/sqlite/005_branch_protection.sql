-- Branch protection (docs/server.md, "Checks and branch protection"): per project, rules by
-- branch pattern (GitHub's fnmatch globs) with the checks a pull request into a matching branch
-- needs. required_checks is a JSON array of check names.
CREATE TABLE branch_protection (
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  pattern TEXT NOT NULL,
  required_checks TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, pattern)
);
-- The latest run of a ref (a pull request's refs/pull/N/head) without a scan of the project.
CREATE INDEX runs_project_ref ON runs (project_id, ref, id);
-- A commit's runs (its checks and statuses).
CREATE INDEX runs_project_sha ON runs (project_id, sha);
