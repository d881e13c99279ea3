package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.YearMonth;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/** Migration V8 converts integer micro-USD to exact numeric without loss, and guards closed periods completely. */
class ExactMoneyMigrationTest {
    private static final long BIG = 9_000_000_000_000_000_000L; // near Long.MAX_VALUE: must survive the conversion

    private static void exec(DataSource db, String... sql) throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            for (String q : sql) s.execute(q);
        }
    }

    private static BigDecimal decimal(DataSource db, String sql) throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getBigDecimal(1);
        }
    }

    private static String text(DataSource db, String sql) throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void existingIntegerAmountsConvertExactlyAndKeepWorking() throws Exception {
        DataSource db = TestDatabase.empty();
        Flyway.configure(Schema.class.getClassLoader()).dataSource(db).locations("classpath:db/migration").target("6").load().migrate();
        exec(db,
                "INSERT INTO teams (id, display_name) VALUES ('acme', 'Acme')",
                "INSERT INTO authors (id, name) VALUES ('lab', 'Lab')",
                "INSERT INTO licenses (id, author_id, name) VALUES ('lic', 'lab', 'L')",
                "INSERT INTO license_terms (license_id, version, effective_from, revenue_share_bp) VALUES ('lic', 1, '2020-01-01', 1000)",
                "INSERT INTO usage_request_ids (request_id, time) VALUES ('old-1', '2025-01-10T00:00:00Z'), ('old-2', '2025-02-10T00:00:00Z')",
                "INSERT INTO usage_events (request_id, time, team_id, route, deployment, deployment_class, prompt_tokens, "
                        + "completion_tokens, cached_tokens, provider_cost_micros, team_charge_micros, baseline_cost_micros, "
                        + "latency_ms, http_status, streamed, shadow, license_id) VALUES "
                        + "('old-1', '2025-01-10T00:00:00Z', 'acme', 'chat', 'open-8b', 'open', 12, 7, 0, 3, 4, 75, 10, 200, false, false, 'lic'), "
                        + "('old-2', '2025-02-10T00:00:00Z', 'acme', 'chat', 'gpt', 'closed', 1, 1, 0, " + BIG + ", " + BIG + ", 0, 10, 200, false, false, null)",
                "INSERT INTO ledger_transactions (id, idempotency_key, kind, request_id, period, usage_period, usage_time, team_id, "
                        + "use_class, deployment, license_id, license_version, author_id, requests) VALUES "
                        + "(1, 'usage:old-1', 'usage', 'old-1', '2025-01', '2025-01', '2025-01-10T00:00:00Z', 'acme', 'commercial', 'open-8b', 'lic', 1, 'lab', 1)",
                "INSERT INTO ledger_entries (tx_id, account, side, amount_micros) VALUES (1, 'team:acme:receivable', 'debit', 4), "
                        + "(1, 'operator:revenue', 'credit', 4)",
                "INSERT INTO license_period_figures (license_id, period, active_users, revenue_micros, tokens) VALUES ('lic', '2025-01', 1, 4, 19)",
                "INSERT INTO license_period_users (license_id, period, user_key) VALUES ('lic', '2025-01', 'acme')",
                "INSERT INTO statement_periods (period) VALUES ('2025-01')",
                "INSERT INTO statements (id, author_id, period, requests, prompt_tokens, completion_tokens, billed_micros, share_micros, closed_at) "
                        + "VALUES ('st-2025-01-lab', 'lab', '2025-01', 1, 12, 7, 4, " + BIG + ", now())",
                "INSERT INTO statement_lines (statement_id, line_no, kind, deployment, license_id, license_version, use_class, "
                        + "usage_period, requests, prompt_tokens, completion_tokens, billed_micros, share_micros) VALUES "
                        + "('st-2025-01-lab', 1, 'usage', 'open-8b', 'lic', 1, 'commercial', '2025-01', 1, 12, 7, 4, " + BIG + ")");

        Schema.migrate(db);

        assertThat(text(db, "SELECT data_type FROM information_schema.columns WHERE table_name = 'usage_events' "
                + "AND column_name = 'team_charge_micros'")).isEqualTo("numeric");
        assertThat(decimal(db, "SELECT team_charge_micros FROM usage_events WHERE request_id = 'old-2'"))
                .isEqualByComparingTo(BigDecimal.valueOf(BIG));
        assertThat(decimal(db, "SELECT share_micros FROM statement_lines")).isEqualByComparingTo(BigDecimal.valueOf(BIG));
        assertThat(decimal(db, "SELECT sum(amount_micros) FROM ledger_entries")).isEqualByComparingTo("8");
        assertThat(decimal(db, "SELECT revenue_micros FROM license_period_figures")).isEqualByComparingTo("4");

        UsageQueries queries = new UsageQueries(db);
        UsageEvent old = queries.byRequestId("old-1").orElseThrow();
        assertThat(old.teamChargeMicros()).isEqualTo(MicroUsd.ofMicros(4));
        assertThat(old.providerCostMicros()).isEqualTo(MicroUsd.ofMicros(3));
        assertThat(old.baselineCostMicros()).isEqualTo(MicroUsd.ofMicros(75));
        assertThat(old.tokenSource()).as("old rows did not record how tokens were counted").isEqualTo(TokenSource.UNRECORDED);
        assertThat(queries.byRequestId("old-2").orElseThrow().teamChargeMicros()).isEqualTo(MicroUsd.ofMicros(BIG));
        assertThat(new StatementService(db).statement("st-2025-01-lab").orElseThrow().shareMicros()).isEqualTo(MicroUsd.ofMicros(BIG));
        assertThat(new Ledger(db).balances()).containsEntry("team:acme:receivable", MicroUsd.ofMicros(4));
        // New exact usage lands next to the converted rows.
        try (UsageJournal journal = UsageJournal.open(java.nio.file.Files.createTempDirectory("v8-journal"))) {
            journal.append(UsageEvent.builder("new-1", java.time.Instant.parse("2025-02-11T00:00:00Z")).team("acme", null)
                    .route("chat", null, null).deployment("open-8b", "p", "m", DeploymentClass.OPEN).tokens(12, 7, 0)
                    .tokenSource(TokenSource.PROVIDER).money(MicroUsd.of(38, 1), MicroUsd.of(38, 1), null).licenseId("lic").build()).join();
            new UsageWriter(journal, db).storeOneBatch();
        }
        assertThat(queries.total(UsageQueries.Filter.all().team("acme").between(java.time.Instant.parse("2025-02-01T00:00:00Z"),
                java.time.Instant.parse("2025-03-01T00:00:00Z"))).teamChargeMicros()).isEqualTo(MicroUsd.ofMicros(BIG).plus(MicroUsd.of(38, 1)));
    }

    @Test
    void aClosedPeriodRefusesNewEntriesAndChangesToItsFiguresAndUsers() throws Exception {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, java.util.Set.of()));
        f.poster.post(java.util.List.of(LedgerFixtures.open("r1", "2025-01-10T10:00:00Z", "acme", "u1", "cloud-share", 1000)));
        assertThat(f.statements(java.time.Instant.parse("2025-06-01T00:00:00Z")).close(YearMonth.of(2025, 1)).result())
                .isEqualTo(StatementService.CloseResult.CLOSED);
        long tx = f.scalar("SELECT id FROM ledger_transactions WHERE request_id = 'r1'");
        // A balanced pair appended to a closed period's transaction: refused.
        assertThat(f.tryExecute("INSERT INTO ledger_entries (tx_id, account, side, amount_micros) VALUES (" + tx
                + ", 'operator:revshare_expense', 'debit', 5), (" + tx + ", 'author:mistral:payable', 'credit', 5)"))
                .contains("closed");
        assertThat(f.tryExecute("UPDATE license_period_figures SET revenue_micros = 0")).contains("frozen");
        assertThat(f.tryExecute("DELETE FROM license_period_figures")).contains("frozen");
        assertThat(f.tryExecute("INSERT INTO license_period_users (license_id, period, user_key) VALUES ('cloud-share', '2025-01', 'x')"))
                .contains("frozen");
        assertThat(f.tryExecute("DELETE FROM license_period_users")).contains("frozen");
        assertThat(f.tryExecute("TRUNCATE license_period_users")).contains("refused");
        assertThat(f.scalar("SELECT count(*) FROM license_period_users")).isEqualTo(1);
        // An open period's figures still move.
        f.poster.post(java.util.List.of(LedgerFixtures.open("r2", "2025-02-10T10:00:00Z", "acme", "u2", "cloud-share", 1000)));
        assertThat(f.scalar("SELECT count(*) FROM license_period_users WHERE period = '2025-02'")).isEqualTo(1);
    }
}
