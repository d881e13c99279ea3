-- Teams and their API keys. Only a SHA-256 hash of a key is stored; the secret is shown once.
CREATE TABLE teams (
    id           text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    display_name text        NOT NULL,
    use_class    text        NOT NULL DEFAULT 'commercial'
                 CHECK (use_class IN ('commercial', 'individual', 'non-commercial', 'research')),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id             text PRIMARY KEY,
    team_id        text        NOT NULL REFERENCES teams (id),
    name           text        NOT NULL DEFAULT '',
    key_hash       bytea       NOT NULL UNIQUE,
    key_prefix     text        NOT NULL,
    allowed_routes text[],
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);
CREATE INDEX api_keys_team ON api_keys (team_id);

-- The admin credential: one row, a SHA-256 hash of the admin key (generated and printed once when not configured).
CREATE TABLE admin_credentials (
    id         smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    key_hash   bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
