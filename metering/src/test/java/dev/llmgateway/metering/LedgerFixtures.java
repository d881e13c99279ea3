package dev.llmgateway.metering;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.Set;
import javax.sql.DataSource;

/** A database with teams, authors and licenses for ledger tests, and usage events on open deployments. */
final class LedgerFixtures {
    static final Instant TERMS_FROM = Instant.parse("2024-12-01T00:00:00Z");

    final DataSource db = TestDatabase.fresh();
    final TeamStore teams = new TeamStore(db);
    final LicenseRegistry registry = new LicenseRegistry(db);
    final LedgerPoster poster = new LedgerPoster(db);
    final Ledger ledger = new Ledger(db);

    LedgerFixtures() {
        teams.createTeam("acme", "Acme", UseClass.COMMERCIAL);
        teams.createTeam("globex", "Globex", UseClass.COMMERCIAL);
        teams.createTeam("lab", "University lab", UseClass.RESEARCH);
    }

    StatementService statements(Instant now) {
        return new StatementService(db, java.time.Clock.fixed(now, java.time.ZoneOffset.UTC));
    }

    /** Registers an author and a license with one version of terms effective {@link #TERMS_FROM}. */
    LicenseTerms license(String authorId, String licenseId, LicenseConditions conditions) {
        registry.createAuthor(new Author(authorId, authorId.toUpperCase(), "iban:" + authorId));
        registry.createLicense(new License(licenseId, authorId, licenseId + " license", "https://example.org/" + licenseId));
        return registry.addTerms(licenseId, TERMS_FROM, conditions);
    }

    static LicenseConditions revenueShare(int bp, Set<UseClass> free) {
        return new LicenseConditions(free, LicenseThresholds.NONE, new LicenseObligation(bp, 0, 0), Attribution.NONE);
    }

    static LicenseConditions mauThreshold(long over, int bp) {
        return new LicenseConditions(Set.of(), new LicenseThresholds(OptionalLong.of(over), OptionalLong.empty(), OptionalLong.empty()),
                new LicenseObligation(bp, 0, 0), new Attribution("Built with X", false));
    }

    static UsageEvent open(String requestId, String time, String team, String endUser, String licenseId, long chargeMicros) {
        return UsageEvent.builder(requestId, Instant.parse(time))
                .team(team, "key_" + team)
                .endUser(endUser)
                .route("chat", "gradual", "100%")
                .deployment("llama-70b", "vllm", "meta-llama/Llama-3.1-70B-Instruct", DeploymentClass.OPEN)
                .tokens(1200, 300, 0)
                .money(chargeMicros / 2, chargeMicros, chargeMicros * 3)
                .timing(400, 80)
                .licenseId(licenseId)
                .build();
    }

    long scalar(String sql) {
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** Executes SQL; returns the database's error message, or null when it succeeded. */
    String tryExecute(String sql) {
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
            return null;
        } catch (SQLException e) {
            return e.getMessage();
        }
    }

    /** Transactions whose debits differ from their credits (must always be 0). */
    long unbalancedTransactions() {
        return scalar("SELECT count(*) FROM (SELECT tx_id FROM ledger_entries GROUP BY tx_id "
                + "HAVING sum(CASE side WHEN 'debit' THEN amount_micros ELSE -amount_micros END) <> 0) x");
    }
}
