-- Routing evidence: migration state and its history, end-user feedback, shadow comparisons, and dataset capture.
-- Scores are integer basis points (0..10000 = 0..1), so sums and sums of squares are exact bigints.
-- History tables are append-only (a trigger refuses UPDATE and DELETE); dataset rows may only be deleted
-- (retention purge), never changed.

CREATE FUNCTION evidence_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME;
END;
$$;

-- Current migration state per route. version counts saves: a save names the version it was derived from and
-- succeeds only if that is still the stored one, so two replicas never both apply a transition.
CREATE TABLE migration_states (
    route       text PRIMARY KEY,
    stage_index integer     NOT NULL CHECK (stage_index >= 0),
    status      text        NOT NULL CHECK (status IN ('ACTIVE', 'PAUSED', 'PINNED', 'ROLLED_BACK', 'COMPLETED')),
    since       timestamptz NOT NULL,
    version     bigint      NOT NULL CHECK (version >= 1),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE migration_transitions (
    id            bigserial PRIMARY KEY,
    route         text        NOT NULL REFERENCES migration_states (route),
    from_stage    integer     NOT NULL CHECK (from_stage >= 0),
    to_stage      integer     NOT NULL CHECK (to_stage >= 0),
    kind          text        NOT NULL CHECK (kind IN ('START', 'PROMOTE', 'AUTO_PROMOTE', 'COMPLETE', 'PAUSE',
                                                       'RESUME', 'PIN', 'ROLLBACK', 'AUTO_ROLLBACK')),
    reason        text        NOT NULL,
    at            timestamptz NOT NULL,
    actor         text        NOT NULL CHECK (actor IN ('auto', 'admin')),
    state_version bigint      NOT NULL,
    UNIQUE (route, state_version)
);
CREATE TRIGGER migration_transitions_append_only BEFORE UPDATE OR DELETE ON migration_transitions
    FOR EACH ROW EXECUTE FUNCTION evidence_refuse_change();

-- Feedback on a request's answer. Latest wins, history kept: every submission is a row; evidence and exports
-- use the newest row of each request.
CREATE TABLE feedback (
    id         bigserial PRIMARY KEY,
    request_id text        NOT NULL,
    team_id    text        NOT NULL,
    score_bp   integer     NOT NULL CHECK (score_bp BETWEEN 0 AND 10000),
    comment    text,
    created_at timestamptz NOT NULL
);
CREATE INDEX feedback_request_latest ON feedback (request_id, id DESC);
CREATE TRIGGER feedback_append_only BEFORE UPDATE OR DELETE ON feedback
    FOR EACH ROW EXECUTE FUNCTION evidence_refuse_change();

-- A shadow comparison: the primary's answer and the shadow deployment's answer to the same request, outputs
-- truncated to the store's limit; the judge's verdict (from the shadow's point of view) is added once, later.
CREATE TABLE shadow_pairs (
    request_id                text PRIMARY KEY,
    route                     text        NOT NULL,
    primary_deployment        text        NOT NULL,
    shadow_deployment         text        NOT NULL,
    primary_output            text        NOT NULL,
    primary_output_truncated  boolean     NOT NULL,
    shadow_output             text,
    shadow_output_truncated   boolean     NOT NULL,
    primary_latency_ms        integer     NOT NULL CHECK (primary_latency_ms >= 0),
    shadow_latency_ms         integer     CHECK (shadow_latency_ms >= 0),
    primary_prompt_tokens     bigint      NOT NULL CHECK (primary_prompt_tokens >= 0),
    primary_completion_tokens bigint      NOT NULL CHECK (primary_completion_tokens >= 0),
    shadow_prompt_tokens      bigint      NOT NULL CHECK (shadow_prompt_tokens >= 0),
    shadow_completion_tokens  bigint      NOT NULL CHECK (shadow_completion_tokens >= 0),
    shadow_status             text        NOT NULL CHECK (shadow_status IN ('OK', 'ERROR', 'TIMEOUT')),
    shadow_error              text,
    created_at                timestamptz NOT NULL,
    verdict                   text        CHECK (verdict IN ('WIN', 'TIE', 'LOSS')),
    judge_deployment          text,
    judge_reason              text,
    judge_cost_micros         bigint      CHECK (judge_cost_micros >= 0),
    judged_at                 timestamptz,
    CHECK ((verdict IS NULL) = (judge_deployment IS NULL) AND (verdict IS NULL) = (judged_at IS NULL)
       AND (verdict IS NULL) = (judge_cost_micros IS NULL))
);
CREATE INDEX shadow_pairs_route_time ON shadow_pairs (route, created_at);

-- Dataset capture (off unless a dataset is defined): redacted request messages and the closed model's answer.
CREATE TABLE datasets (
    name           text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    route_filter   text,
    sample_bp      integer     NOT NULL CHECK (sample_bp BETWEEN 0 AND 10000),
    retention_days integer     NOT NULL CHECK (retention_days >= 1),
    redact_emails  boolean     NOT NULL,
    redact_keys    boolean     NOT NULL,
    redact_phones  boolean     NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dataset_rows (
    id         bigserial PRIMARY KEY,
    dataset    text        NOT NULL REFERENCES datasets (name),
    request_id text        NOT NULL,
    team_id    text        NOT NULL,
    route      text        NOT NULL,
    created_at timestamptz NOT NULL,
    messages   jsonb       NOT NULL CHECK (jsonb_typeof(messages) = 'array'),
    completion jsonb       NOT NULL CHECK (jsonb_typeof(completion) = 'object'),
    UNIQUE (dataset, request_id)
);
CREATE INDEX dataset_rows_export ON dataset_rows (dataset, created_at, request_id);
CREATE TRIGGER dataset_rows_no_update BEFORE UPDATE ON dataset_rows
    FOR EACH ROW EXECUTE FUNCTION evidence_refuse_change();
