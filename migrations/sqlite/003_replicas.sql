-- Several server replicas on one database (docs/scale-out.md). Each active run is driven by one
-- replica, its owner, which renews owner_expires_at (ms) while it lives; a run whose owner
-- stopped renewing is taken over by another replica, which rebuilds its state from the jobs'
-- completions. A job carries the spec any replica hands to an executor (without secrets,
-- which are decrypted at lease time), a cancel request any replica's heartbeat can read, and
-- how often it was queued again after its executor was lost.
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN owner_expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN spec TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_owner ON runs (owner, status);
-- An annotation's per-job number from its executor: a batch sent again stores it once.
ALTER TABLE annotations ADD COLUMN seq INTEGER;
CREATE UNIQUE INDEX annotations_seq ON annotations (job_id, seq);
