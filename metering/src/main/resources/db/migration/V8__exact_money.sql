-- Exact money below the micro-dollar (issue 17). Every stored per-request amount, ledger entry, threshold figure and
-- statement amount becomes numeric(34,14): micro-USD with 14 decimals (10^-20 USD), exactly what one request can
-- produce (prices in micro-USD per 1M tokens, a markup and a revenue share in basis points), up to 10^20 micro-USD.
-- Existing integer amounts convert without loss (bigint -> numeric is exact). Rounding happens only where money is
-- presented or owed (statement lines and totals, CSV and invoice totals), see docs/billing.md.

ALTER TABLE usage_events
    ALTER COLUMN provider_cost_micros TYPE numeric(34, 14),
    ALTER COLUMN team_charge_micros   TYPE numeric(34, 14),
    ALTER COLUMN baseline_cost_micros TYPE numeric(34, 14),
    -- NULL: no priced baseline (the route has none, or its baseline deployment has no price): not a zero saving.
    ALTER COLUMN baseline_cost_micros DROP NOT NULL,
    -- How the token counts were obtained. Rows stored before this migration (and rows inserted by hand without it)
    -- say 'unrecorded'; the gateway always writes provider, engine or estimated.
    ADD COLUMN token_source text NOT NULL DEFAULT 'unrecorded'
        CHECK (token_source IN ('provider', 'engine', 'estimated', 'unrecorded'));

ALTER TABLE ledger_entries ALTER COLUMN amount_micros TYPE numeric(34, 14);
ALTER TABLE license_period_figures ALTER COLUMN revenue_micros TYPE numeric(34, 14);
ALTER TABLE statements
    ALTER COLUMN billed_micros TYPE numeric(34, 14),
    ALTER COLUMN share_micros  TYPE numeric(34, 14);
ALTER TABLE statement_lines
    ALTER COLUMN billed_micros TYPE numeric(34, 14),
    ALTER COLUMN share_micros  TYPE numeric(34, 14);

-- A closed period never changes, entries included: an entry may not be added to a transaction of a closed period
-- (the transaction trigger alone let a balanced pair be appended to an existing transaction).
CREATE FUNCTION ledger_entries_refuse_closed_period() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    p text;
BEGIN
    SELECT period INTO p FROM ledger_transactions WHERE id = NEW.tx_id;
    IF EXISTS (SELECT 1 FROM statement_periods WHERE period = p) THEN
        RAISE EXCEPTION 'period % is closed: entry of transaction % refused', p, NEW.tx_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_entries_open_period BEFORE INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_refuse_closed_period();

-- A closed month's threshold figures and user set are frozen: late usage is judged by them.
CREATE FUNCTION license_period_refuse_closed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (SELECT 1 FROM statement_periods WHERE period = OLD.period) THEN
        RAISE EXCEPTION '% of closed period % is frozen: % refused', TG_TABLE_NAME, OLD.period, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (SELECT 1 FROM statement_periods WHERE period = NEW.period) THEN
        RAISE EXCEPTION '% of closed period % is frozen: % refused', TG_TABLE_NAME, NEW.period, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
CREATE TRIGGER license_period_figures_frozen BEFORE INSERT OR UPDATE OR DELETE ON license_period_figures
    FOR EACH ROW EXECUTE FUNCTION license_period_refuse_closed();
CREATE TRIGGER license_period_users_frozen BEFORE INSERT OR UPDATE OR DELETE ON license_period_users
    FOR EACH ROW EXECUTE FUNCTION license_period_refuse_closed();
CREATE TRIGGER license_period_figures_no_truncate BEFORE TRUNCATE ON license_period_figures
    FOR EACH STATEMENT EXECUTE FUNCTION statements_refuse_change();
CREATE TRIGGER license_period_users_no_truncate BEFORE TRUNCATE ON license_period_users
    FOR EACH STATEMENT EXECUTE FUNCTION statements_refuse_change();

-- When a usage row reached PostgreSQL (not when the request happened): lets the ledger's periodic catch-up look only
-- at rows stored since its last pass, however old their usage time (a replica's journal replayed months later),
-- so a complete postPending() stays cheap when nothing is pending. Existing rows get the migration time.
ALTER TABLE usage_events ADD COLUMN stored_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX usage_events_billable_stored_at ON usage_events (stored_at)
    WHERE NOT shadow AND deployment_class = 'open' AND license_id IS NOT NULL;

-- Budget alerts are recorded before they count as sent, then delivered (at least once) and the outcome recorded:
-- retried until delivered, or given up after a number of attempts with the last error kept. Alerts recorded before
-- this migration count as delivered (they were handed to the listener when recorded).
ALTER TABLE budget_alerts
    ADD COLUMN delivered_at      timestamptz,
    ADD COLUMN delivery_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error        text,
    ADD COLUMN gave_up_at        timestamptz;
UPDATE budget_alerts SET delivered_at = fired_at, delivery_attempts = 1;
CREATE INDEX budget_alerts_undelivered ON budget_alerts (replica_id) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
