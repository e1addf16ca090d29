-- Registration tokens: an admin creates one (POST /api/v1/executors/registration-tokens) and
-- `gantry executor register` exchanges it for an executor's own token. Stored as a SHA-256
-- hash like every other token; usable `uses_left` more times until `expires_at` (ms).
CREATE TABLE registration_tokens (
  id BIGSERIAL PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  created_by BIGINT NOT NULL DEFAULT 0,
  uses_left INTEGER NOT NULL DEFAULT 1,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL DEFAULT 0
);
