-- `concurrency:` groups (docs/server.md, "Concurrency"). A run whose workflow names a group
-- waits with status 'pending' until no other run of its project holds the group; a job with a
-- job-level group is not leased while another job of that group in the project is running.
-- '' = no group.
ALTER TABLE runs ADD COLUMN concurrency_group TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN concurrency_group TEXT NOT NULL DEFAULT '';
-- When a run (or its re-run) entered its group: 1 + the project's largest so far. A larger
-- group_order is the newer request, whatever the run ids (a re-run keeps its id).
ALTER TABLE runs ADD COLUMN group_order BIGINT NOT NULL DEFAULT 0;
CREATE INDEX runs_concurrency_group ON runs (project_id, concurrency_group);
CREATE INDEX jobs_concurrency_group ON jobs (concurrency_group, status);
