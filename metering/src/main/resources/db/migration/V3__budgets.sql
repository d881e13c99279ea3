-- Budgets per team (optionally per key), their periods, the leases replicas take from them, and alerts.
-- Money is integer micro-USD, tokens are integer counts; NULL limit = that dimension is not limited.
CREATE TABLE budgets (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id              text        NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    key_id               text        REFERENCES api_keys (id) ON DELETE CASCADE,
    limit_micros_usd     bigint      CHECK (limit_micros_usd >= 0),
    limit_tokens         bigint      CHECK (limit_tokens >= 0),
    period               text        NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'total')),
    enforcement          text        NOT NULL CHECK (enforcement IN ('hard', 'soft')),
    alert_thresholds_pct integer[]   NOT NULL DEFAULT '{}',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (limit_micros_usd IS NOT NULL OR limit_tokens IS NOT NULL)
);
-- One team-wide budget per team, one budget per key.
CREATE UNIQUE INDEX budgets_scope ON budgets (team_id, COALESCE(key_id, ''));

-- One row per budget and period (UTC). Each counter is the sum of the same quantity over the period's leases:
--   allocated   = sum(lease.granted)                      (what the limit has handed out)
--   spent       = sum(lease.reported)                     (actual spend reported by replicas)
--   written_off = sum(granted - reported) of expired leases (presumed spent: the replica vanished)
--   over_grant  = spend reported beyond a lease's grant     (settled above the reservation)
-- A grant never makes allocated exceed the limit, so for every budget: allocated - over_grant <= limit.
CREATE TABLE budget_periods (
    budget_id          bigint      NOT NULL REFERENCES budgets (id) ON DELETE CASCADE,
    period_start       timestamptz NOT NULL,
    period_end         timestamptz, -- NULL: the period never ends (TOTAL budgets)
    allocated_micros   bigint      NOT NULL DEFAULT 0 CHECK (allocated_micros >= 0),
    allocated_tokens   bigint      NOT NULL DEFAULT 0 CHECK (allocated_tokens >= 0),
    spent_micros       bigint      NOT NULL DEFAULT 0 CHECK (spent_micros >= 0),
    spent_tokens       bigint      NOT NULL DEFAULT 0 CHECK (spent_tokens >= 0),
    written_off_micros bigint      NOT NULL DEFAULT 0 CHECK (written_off_micros >= 0),
    written_off_tokens bigint      NOT NULL DEFAULT 0 CHECK (written_off_tokens >= 0),
    over_grant_micros  bigint      NOT NULL DEFAULT 0 CHECK (over_grant_micros >= 0),
    over_grant_tokens  bigint      NOT NULL DEFAULT 0 CHECK (over_grant_tokens >= 0),
    PRIMARY KEY (budget_id, period_start),
    CHECK (spent_micros + written_off_micros <= allocated_micros),
    CHECK (spent_tokens + written_off_tokens <= allocated_tokens)
);

-- A slice of one budget period held by one replica. open: spendable by its replica until expires_at;
-- returned: closed by its replica (granted shrunk to reported); expired: its replica stopped renewing it, the
-- unreported part is presumed spent; reconciled: an expired lease whose actual spend was reported later.
CREATE TABLE budget_leases (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    budget_id       bigint      NOT NULL,
    period_start    timestamptz NOT NULL,
    replica_id      text        NOT NULL,
    state           text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'returned', 'expired', 'reconciled')),
    granted_micros  bigint      NOT NULL DEFAULT 0,
    granted_tokens  bigint      NOT NULL DEFAULT 0,
    reported_micros bigint      NOT NULL DEFAULT 0 CHECK (reported_micros >= 0),
    reported_tokens bigint      NOT NULL DEFAULT 0 CHECK (reported_tokens >= 0),
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    closed_at       timestamptz,
    FOREIGN KEY (budget_id, period_start) REFERENCES budget_periods (budget_id, period_start) ON DELETE CASCADE,
    CHECK (reported_micros <= granted_micros),
    CHECK (reported_tokens <= granted_tokens)
);
CREATE INDEX budget_leases_open_expiry ON budget_leases (expires_at) WHERE state = 'open';
CREATE INDEX budget_leases_period ON budget_leases (budget_id, period_start);

-- A threshold crossing, recorded once per budget, period and threshold whichever replica sees it first.
CREATE TABLE budget_alerts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    budget_id     bigint      NOT NULL REFERENCES budgets (id) ON DELETE CASCADE,
    period_start  timestamptz NOT NULL,
    threshold_pct integer     NOT NULL CHECK (threshold_pct > 0),
    unit          text        NOT NULL CHECK (unit IN ('micros_usd', 'tokens')),
    used_amount   bigint      NOT NULL,
    limit_amount  bigint      NOT NULL,
    replica_id    text        NOT NULL,
    fired_at      timestamptz NOT NULL,
    UNIQUE (budget_id, period_start, threshold_pct)
);
