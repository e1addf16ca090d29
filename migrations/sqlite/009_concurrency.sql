-- `concurrency:` groups (docs/server.md, "Concurrency"). A run whose workflow names a group
-- waits with status 'pending' until no other run of its project holds the group; a job with a
-- job-level group is not leased while another job of that group in the project is running.
-- '' = no group.
ALTER TABLE runs ADD COLUMN concurrency_group TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN concurrency_group TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_concurrency_group ON runs (project_id, concurrency_group);
CREATE INDEX jobs_concurrency_group ON jobs (concurrency_group, status);
