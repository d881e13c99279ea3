-- Response cache (issue 16): a usage record says whether its answer came from the cache, and what the provider would
-- have charged for it (the cost the hit avoided; its provider cost is 0). Rows stored before this migration were
-- never cache hits.
ALTER TABLE usage_events
    ADD COLUMN cache_hit          boolean         NOT NULL DEFAULT false,
    ADD COLUMN cache_saved_micros numeric(34, 14) NOT NULL DEFAULT 0 CHECK (cache_saved_micros >= 0);

-- Cached answers shared by replicas (routes with cache: {store: postgres}). key: SHA-256 of team, route and the
-- normalized request; entry: the gateway's encoded answer (opaque here). Expired rows are never served and are
-- purged periodically.
CREATE TABLE response_cache (
    key        bytea       PRIMARY KEY CHECK (octet_length(key) = 32),
    team_id    text        NOT NULL,
    route      text        NOT NULL,
    entry      bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX response_cache_expires ON response_cache (expires_at);
