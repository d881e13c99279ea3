-- Records PostgreSQL refused (a constraint, a value it cannot hold), set aside so they never block the others.
-- kind 'usage': a usage record the usage writer could not insert; kind 'ledger': stored usage the ledger poster could
-- not post. payload is the journal's binary form of the usage event (any bytes fit in bytea). An operator replays a
-- dead letter once the cause is fixed, or discards it; every action is kept in dead_letter_audit.
CREATE TABLE dead_letters (
    id          bigserial PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('usage', 'ledger')),
    request_id  text        NOT NULL,
    payload     bytea       NOT NULL,
    reason      text        NOT NULL,
    sql_state   text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    status      text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replayed', 'discarded')),
    resolved_at timestamptz,
    resolved_by text
);
-- A record is set aside once (a crash between dead-lettering and the journal checkpoint replays it).
CREATE UNIQUE INDEX dead_letters_one_open ON dead_letters (kind, request_id) WHERE status = 'open';
CREATE INDEX dead_letters_by_request ON dead_letters (request_id);

CREATE TABLE dead_letter_audit (
    id             bigserial PRIMARY KEY,
    dead_letter_id bigint      NOT NULL REFERENCES dead_letters (id),
    action         text        NOT NULL CHECK (action IN ('created', 'replayed', 'replay_failed', 'discarded')),
    actor          text        NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    detail         text        NOT NULL DEFAULT ''
);
CREATE INDEX dead_letter_audit_by_letter ON dead_letter_audit (dead_letter_id, id);

-- Per-user license figures key on a fixed-length hash of (team, end user), never the client's raw text: an end-user id
-- of any length or content then fits the primary key's index. Hex SHA-256 of the UTF-8 key, as the poster computes it.
UPDATE license_period_users SET user_key = encode(sha256(convert_to(user_key, 'UTF8')), 'hex');
ALTER TABLE license_period_users ADD CONSTRAINT license_period_users_key_is_hash CHECK (user_key ~ '^[0-9a-f]{64}$');
