-- Outbound deliveries (docs/server.md, "Commit statuses" and "Notifications"): a durable outbox
-- of commit statuses, pull-request comments, e-mails and webhooks. A row is inserted when a run
-- changes state and sent later by a delivery worker of any replica, which claims it
-- (claimed_by, claim_expires_at: ms) before sending, so a crash loses nothing and two replicas
-- never send one delivery at once. state: pending | delivered | failed.
CREATE TABLE outbound_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'pending',
  last_error TEXT NOT NULL DEFAULT '',
  claimed_by TEXT NOT NULL DEFAULT '',
  claim_expires_at INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbound_deliveries_due ON outbound_deliveries (state, next_attempt_at);
CREATE INDEX outbound_deliveries_project ON outbound_deliveries (project_id, id);
-- Settings of deliveries by scope: 'forge' and 'notifications' of a project (owner_id = the
-- project; sealed with the server key, they hold tokens and webhook secrets),
-- 'user_notifications' of a user, and 'pr_comment:<owner/repo>#<number>' of a project (the id
-- of the comment Gantry posted on that pull request, updated by later runs).
CREATE TABLE delivery_settings (
  scope TEXT NOT NULL,
  owner_id INTEGER NOT NULL,
  value BLOB NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (scope, owner_id)
);
