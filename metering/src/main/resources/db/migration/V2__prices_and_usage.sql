-- Prices (versioned, effective-dated) and usage events (partitioned by month, one row per request id).
-- Money is integer micro-USD; prices are micro-USD per 1,000,000 tokens.

CREATE TABLE price_versions (
    id                        bigserial PRIMARY KEY,
    deployment                text        NOT NULL,
    deployment_class          text        NOT NULL CHECK (deployment_class IN ('closed', 'open')),
    effective_from            timestamptz NOT NULL,
    input_micros_per_mtok     bigint      NOT NULL CHECK (input_micros_per_mtok >= 0),
    output_micros_per_mtok    bigint      NOT NULL CHECK (output_micros_per_mtok >= 0),
    cached_micros_per_mtok    bigint      NOT NULL CHECK (cached_micros_per_mtok >= 0),
    -- List prices: what teams are charged for an open deployment; NULL means "charge the provider price".
    list_input_micros_per_mtok  bigint CHECK (list_input_micros_per_mtok >= 0),
    list_output_micros_per_mtok bigint CHECK (list_output_micros_per_mtok >= 0),
    list_cached_micros_per_mtok bigint CHECK (list_cached_micros_per_mtok >= 0),
    markup_bp                 integer     NOT NULL DEFAULT 0 CHECK (markup_bp BETWEEN 0 AND 1000000),
    source                    text        NOT NULL DEFAULT 'config',
    created_at                timestamptz NOT NULL DEFAULT now(),
    UNIQUE (deployment, effective_from),
    CHECK ((list_input_micros_per_mtok IS NULL) = (list_output_micros_per_mtok IS NULL)
       AND (list_input_micros_per_mtok IS NULL) = (list_cached_micros_per_mtok IS NULL))
);

-- One row per request id ever stored: PostgreSQL requires the partition key (time) in every unique
-- constraint of a partitioned table, so uniqueness of the request id alone lives here. The writer inserts
-- here first (ON CONFLICT DO NOTHING) and stores the event only for ids that were new, in one statement.
CREATE TABLE usage_request_ids (
    request_id text        PRIMARY KEY,
    time       timestamptz NOT NULL
);

CREATE TABLE usage_events (
    request_id           text        NOT NULL,
    time                 timestamptz NOT NULL,
    team_id              text        NOT NULL,
    key_id               text,
    end_user             text,
    route                text        NOT NULL,
    policy               text,
    stage                text,
    deployment           text        NOT NULL,
    provider             text,
    upstream_model       text,
    deployment_class     text        NOT NULL CHECK (deployment_class IN ('closed', 'open')),
    prompt_tokens        bigint      NOT NULL CHECK (prompt_tokens >= 0),
    completion_tokens    bigint      NOT NULL CHECK (completion_tokens >= 0),
    cached_tokens        bigint      NOT NULL CHECK (cached_tokens >= 0),
    provider_cost_micros bigint      NOT NULL CHECK (provider_cost_micros >= 0),
    team_charge_micros   bigint      NOT NULL CHECK (team_charge_micros >= 0),
    baseline_cost_micros bigint      NOT NULL CHECK (baseline_cost_micros >= 0),
    latency_ms           integer     NOT NULL,
    ttft_ms              integer,
    http_status          integer     NOT NULL,
    error_code           text,
    streamed             boolean     NOT NULL,
    shadow               boolean     NOT NULL,
    license_id           text,
    PRIMARY KEY (request_id, time)
) PARTITION BY RANGE (time);

-- Catches any row whose month has no partition yet, so an insert never fails for lack of a partition.
CREATE TABLE usage_events_default PARTITION OF usage_events DEFAULT;

CREATE INDEX usage_events_team_time ON usage_events (team_id, time);
CREATE INDEX usage_events_route_time ON usage_events (route, time);

-- Creates the monthly partition holding p_at (UTC months), moving any rows already in the default
-- partition for that month into it. Idempotent and safe to call concurrently (advisory lock).
CREATE FUNCTION usage_events_ensure_month(p_at timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    m_start timestamptz := date_trunc('month', p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    m_end   timestamptz := (date_trunc('month', p_at AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
    part    text        := 'usage_events_' || to_char(p_at AT TIME ZONE 'UTC', 'YYYY"m"MM');
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN part;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('usage_events_ensure_month'));
    IF to_regclass(part) IS NOT NULL THEN
        RETURN part;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE usage_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    EXECUTE format('WITH moved AS (DELETE FROM usage_events_default WHERE time >= %L AND time < %L RETURNING *) '
                   'INSERT INTO %I SELECT * FROM moved', m_start, m_end, part);
    EXECUTE format('ALTER TABLE usage_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, m_start, m_end);
    RETURN part;
END;
$$;

-- Partitions ahead: last month to three months from now; the writer creates later ones on demand.
DO $$
BEGIN
    FOR m IN -1..3 LOOP
        PERFORM usage_events_ensure_month(now() + make_interval(months => m));
    END LOOP;
END;
$$;
