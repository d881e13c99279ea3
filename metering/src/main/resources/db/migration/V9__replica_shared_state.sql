-- State that gateway replicas share through PostgreSQL (docs/budgets.md "Replicas", docs/operations.md).

-- Rate-limit grants: each replica takes slices ("grants") of a key's or team's per-minute limit. A grant counts
-- against the limit from granted_at for one minute plus the grant's validity (the time its replica may spend it), so
-- no 60-second window ever sees more than the limit. Closing a grant shrinks it to what was used; a closed grant
-- with nothing before it is extra usage charged after the fact (actual tokens above the estimate). Rows older than a
-- few minutes are deleted by any replica. granted_at is PostgreSQL's clock, never a replica's.
CREATE TABLE rate_grants (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_type text        NOT NULL CHECK (subject_type IN ('team', 'key')),
    subject_id   text        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('requests', 'tokens')),
    replica_id   text        NOT NULL,
    granted_at   timestamptz NOT NULL,
    granted      bigint      NOT NULL CHECK (granted >= 0),
    closed       boolean     NOT NULL DEFAULT false
);
CREATE INDEX rate_grants_window ON rate_grants (subject_type, subject_id, kind, granted_at);
CREATE INDEX rate_grants_age ON rate_grants (granted_at);

-- Each route's shadow judge spends at most its daily cap across all replicas (UTC days).
CREATE TABLE judge_spend (
    route        text   NOT NULL,
    day          date   NOT NULL,
    spent_micros bigint NOT NULL DEFAULT 0 CHECK (spent_micros >= 0),
    PRIMARY KEY (route, day)
);

-- Which replica stored a usage event: the usage writer's connections set gateway.replica_id, so the insert itself
-- does not change. A crashed replica's expired budget leases are reconciled from these rows.
ALTER TABLE usage_events ADD COLUMN replica_id text DEFAULT NULLIF(current_setting('gateway.replica_id', true), '');

-- An expired lease reconciled from stored usage (not from its replica's own report): usage stored later for it (a
-- restarted replica replaying its journal) is still added for a while.
ALTER TABLE budget_leases ADD COLUMN reconciled_from_usage_at timestamptz;
CREATE INDEX budget_leases_expired ON budget_leases (id) WHERE state = 'expired';
CREATE INDEX budget_leases_from_usage ON budget_leases (reconciled_from_usage_at) WHERE reconciled_from_usage_at IS NOT NULL;
