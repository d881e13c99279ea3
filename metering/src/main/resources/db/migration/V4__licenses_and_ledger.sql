-- License registry (authors, licenses, versioned effective-dated terms), the append-only debit/credit ledger
-- of what teams owe the operator and what the operator owes model authors, per-license monthly threshold
-- figures, and frozen per-author statements. Money is integer micro-USD; percentages are basis points.
-- Periods are calendar months in UTC, written 'YYYY-MM'. See docs/billing.md.

CREATE TABLE authors (
    id               text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name             text        NOT NULL,
    payout_reference text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE licenses (
    id         text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    author_id  text        NOT NULL REFERENCES authors (id),
    name       text        NOT NULL,
    source_url text,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per version; the version in force at an instant is the one with the latest effective_from <= it.
-- A threshold column NULL means "no such threshold"; with no threshold at all, the obligation always applies
-- (to use classes that are not free). With several, exceeding any one (strictly greater) switches it on.
CREATE TABLE license_terms (
    license_id                  text        NOT NULL REFERENCES licenses (id),
    version                     integer     NOT NULL CHECK (version >= 1),
    effective_from              timestamptz NOT NULL,
    free_use_classes            text[]      NOT NULL DEFAULT '{}'
        CHECK (free_use_classes <@ ARRAY['commercial', 'individual', 'non-commercial', 'research']),
    active_users_over           bigint CHECK (active_users_over >= 0),
    revenue_micros_over         bigint CHECK (revenue_micros_over >= 0),
    tokens_over                 bigint CHECK (tokens_over >= 0),
    revenue_share_bp            integer     NOT NULL DEFAULT 0 CHECK (revenue_share_bp BETWEEN 0 AND 10000),
    royalty_micros_per_mtok     bigint      NOT NULL DEFAULT 0 CHECK (royalty_micros_per_mtok >= 0),
    minimum_micros_per_period   bigint      NOT NULL DEFAULT 0 CHECK (minimum_micros_per_period >= 0),
    attribution_text            text        NOT NULL DEFAULT '',
    attribution_above_thresholds_only boolean NOT NULL DEFAULT false,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (license_id, version),
    UNIQUE (license_id, effective_from)
);

-- Closed periods. A row here means the period's statements are frozen and no ledger transaction may be posted
-- into it any more.
CREATE TABLE statement_periods (
    period    text PRIMARY KEY CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    closed_at timestamptz NOT NULL DEFAULT now()
);

-- One ledger transaction: a balanced set of entries plus the dimensions statements are grouped by.
-- kind: usage (one per metered request, idempotent on request_id), threshold_adjustment and minimum_topup
-- (posted when a period closes), reversal (mirrors the entries of reverses_tx_id).
-- period: the statement period the transaction belongs to; usage_period: the month the usage happened in
-- (differs for usage that arrived after its month was closed).
CREATE TABLE ledger_transactions (
    id                bigserial PRIMARY KEY,
    idempotency_key   text        NOT NULL UNIQUE,
    kind              text        NOT NULL CHECK (kind IN ('usage', 'threshold_adjustment', 'minimum_topup', 'reversal')),
    request_id        text UNIQUE,
    reverses_tx_id    bigint UNIQUE REFERENCES ledger_transactions (id),
    period            text        NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    usage_period      text        NOT NULL CHECK (usage_period ~ '^[0-9]{4}-[0-9]{2}$'),
    usage_time        timestamptz NOT NULL,
    team_id           text,
    use_class         text CHECK (use_class IN ('commercial', 'individual', 'non-commercial', 'research')),
    deployment        text,
    license_id        text        NOT NULL REFERENCES licenses (id),
    license_version   integer     NOT NULL,
    author_id         text        NOT NULL REFERENCES authors (id),
    prompt_tokens     bigint      NOT NULL DEFAULT 0,
    completion_tokens bigint      NOT NULL DEFAULT 0,
    requests          integer     NOT NULL DEFAULT 0 CHECK (requests BETWEEN -1 AND 1),
    memo              text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'usage') = (request_id IS NOT NULL)),
    CHECK ((kind = 'reversal') = (reverses_tx_id IS NOT NULL)),
    FOREIGN KEY (license_id, license_version) REFERENCES license_terms (license_id, version)
);
CREATE INDEX ledger_transactions_period ON ledger_transactions (period, author_id);
CREATE INDEX ledger_transactions_usage_period ON ledger_transactions (usage_period, license_id) WHERE kind = 'usage';

CREATE TABLE ledger_entries (
    id            bigserial PRIMARY KEY,
    tx_id         bigint NOT NULL REFERENCES ledger_transactions (id),
    account       text   NOT NULL CHECK (account ~ '^(team:[^:]+:receivable|operator:revenue|operator:revshare_expense|author:[^:]+:payable)$'),
    side          text   NOT NULL CHECK (side IN ('debit', 'credit')),
    amount_micros bigint NOT NULL CHECK (amount_micros > 0)
);
CREATE INDEX ledger_entries_tx ON ledger_entries (tx_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account);

-- Append-only: corrections are reversing transactions, never updates.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused (post a reversing transaction instead)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- A closed period never changes: nothing may be posted into it.
CREATE FUNCTION ledger_refuse_closed_period() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM statement_periods WHERE period = NEW.period) THEN
        RAISE EXCEPTION 'period % is closed: transaction % refused', NEW.period, NEW.idempotency_key
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_transactions_open_period BEFORE INSERT ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_closed_period();

-- Debits = credits per transaction, checked at commit (the code checks before inserting, too).
CREATE FUNCTION ledger_check_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    imbalance numeric;
BEGIN
    SELECT coalesce(sum(CASE side WHEN 'debit' THEN amount_micros::numeric ELSE -amount_micros::numeric END), 0)
      INTO imbalance FROM ledger_entries WHERE tx_id = NEW.tx_id;
    IF imbalance <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: debits - credits = %', NEW.tx_id, imbalance
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- Threshold figures of a license in a usage month, accumulated as usage is posted. Frozen when the month closes
-- (the poster stops adding to a closed month's figures). Active users are distinct (team, end user) pairs.
CREATE TABLE license_period_figures (
    license_id     text   NOT NULL REFERENCES licenses (id),
    period         text   NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    active_users   bigint NOT NULL DEFAULT 0,
    revenue_micros bigint NOT NULL DEFAULT 0,
    tokens         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (license_id, period)
);

CREATE TABLE license_period_users (
    license_id text NOT NULL,
    period     text NOT NULL,
    user_key   text NOT NULL,
    PRIMARY KEY (license_id, period, user_key)
);

-- Frozen statements: written once when a period closes, never changed.
CREATE TABLE statements (
    id                text PRIMARY KEY,
    author_id         text        NOT NULL REFERENCES authors (id),
    period            text        NOT NULL REFERENCES statement_periods (period),
    requests          bigint      NOT NULL,
    prompt_tokens     bigint      NOT NULL,
    completion_tokens bigint      NOT NULL,
    billed_micros     bigint      NOT NULL,
    share_micros      bigint      NOT NULL,
    closed_at         timestamptz NOT NULL,
    UNIQUE (author_id, period)
);

CREATE TABLE statement_lines (
    statement_id      text    NOT NULL REFERENCES statements (id),
    line_no           integer NOT NULL,
    kind              text    NOT NULL,
    deployment        text,
    license_id        text    NOT NULL,
    license_version   integer NOT NULL,
    use_class         text,
    usage_period      text    NOT NULL,
    usage_date        date,
    requests          bigint  NOT NULL,
    prompt_tokens     bigint  NOT NULL,
    completion_tokens bigint  NOT NULL,
    billed_micros     bigint  NOT NULL,
    share_micros      bigint  NOT NULL,
    PRIMARY KEY (statement_id, line_no)
);

CREATE FUNCTION statements_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% belongs to a closed period: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER statement_periods_frozen BEFORE UPDATE OR DELETE ON statement_periods
    FOR EACH ROW EXECUTE FUNCTION statements_refuse_change();
CREATE TRIGGER statements_frozen BEFORE UPDATE OR DELETE ON statements
    FOR EACH ROW EXECUTE FUNCTION statements_refuse_change();
CREATE TRIGGER statement_lines_frozen BEFORE UPDATE OR DELETE ON statement_lines
    FOR EACH ROW EXECUTE FUNCTION statements_refuse_change();
CREATE TRIGGER statements_no_truncate BEFORE TRUNCATE ON statements
    FOR EACH STATEMENT EXECUTE FUNCTION statements_refuse_change();
CREATE TRIGGER statement_lines_no_truncate BEFORE TRUNCATE ON statement_lines
    FOR EACH STATEMENT EXECUTE FUNCTION statements_refuse_change();
CREATE TRIGGER statement_periods_no_truncate BEFORE TRUNCATE ON statement_periods
    FOR EACH STATEMENT EXECUTE FUNCTION statements_refuse_change();
