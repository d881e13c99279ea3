-- Outgoing webhook deliveries (budget alerts): one row per event, updated after every attempt, so the admin API can
-- show whether each one arrived. The target URL is not stored: it may carry a token.
CREATE TABLE webhook_deliveries (
    id            BIGSERIAL PRIMARY KEY,
    event_type    TEXT        NOT NULL,
    payload       TEXT        NOT NULL,
    status        TEXT        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts      INT         NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_status   INT,
    last_error    TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at  TIMESTAMPTZ
);

CREATE INDEX webhook_deliveries_created_at ON webhook_deliveries (created_at DESC);
