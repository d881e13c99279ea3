-- Key lifecycle (docs/security.md "API keys"): expiry, a description, the last time a key was used (written in
-- batches, at most every few seconds, never per request), and rotation with an overlap window. Rotation keeps the
-- key's id (so its limits, budgets and usage history stay with it) and gives it a new secret; the previous secret's
-- hash is kept in previous_key_hash and accepted until previous_expires_at.
ALTER TABLE api_keys
    ADD COLUMN description         text        NOT NULL DEFAULT '',
    ADD COLUMN expires_at          timestamptz,
    ADD COLUMN last_used_at        timestamptz,
    ADD COLUMN previous_key_hash   bytea UNIQUE,
    ADD COLUMN previous_expires_at timestamptz,
    ADD COLUMN rotated_at          timestamptz,
    ADD CONSTRAINT api_keys_previous_pair CHECK ((previous_key_hash IS NULL) = (previous_expires_at IS NULL));

-- Deleting a team is a soft delete: its keys are revoked and it leaves the listings, while its usage rows, budgets,
-- ledger entries and statements stay (they reference the team id, which is therefore never reused).
ALTER TABLE teams ADD COLUMN deleted_at timestamptz;

-- Usage records keep the dispatch attempts ("deployment:outcome,..." as in x-gateway-attempts) for the request log.
ALTER TABLE usage_events ADD COLUMN attempts text;
CREATE INDEX usage_events_time ON usage_events (time DESC);

-- Per-route rate limits (gateway.yaml routes.<name>.limits) are counted in the same shared grants as keys and teams.
ALTER TABLE rate_grants DROP CONSTRAINT rate_grants_subject_type_check;
ALTER TABLE rate_grants ADD CONSTRAINT rate_grants_subject_type_check CHECK (subject_type IN ('team', 'key', 'route'));
