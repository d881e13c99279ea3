package dev.llmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kill -9 of a gateway holding a budget lease: the other gateway expires the lease once its TTL (30 s) passed and
 * reconciles it from the usage the killed gateway stored, so the unspent share comes back to the budget at once and
 * exactly what was answered stays counted.
 */
class KilledReplicaLeaseTest {
    private static final long LEASE_TTL_MS = 30_000;

    @Test
    @Timeout(value = 180)
    void killNineOfAGatewayHoldingABudgetLeaseGivesItsUnspentShareBackWithinTheLeaseTtl() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
             Harness h = new Harness("killed-replica-lease", null)) {
            UsageDb db = new UsageDb(pg.getPort());
            String dbUrl = UsageDb.jdbcUrl(pg.getPort());
            try (GatewayProcess a = GatewayProcess.start("gateway-a", h.settings("gateway-a", GatewayProcess.freePort(), dbUrl));
                 GatewayProcess b = GatewayProcess.start("gateway-b", h.settings("gateway-b", GatewayProcess.freePort(), dbUrl))) {
                String key = a.createTeamAndKey("leased");
                a.admin("PUT", "/admin/teams/leased/budget", "{\"limit_usd\":\"0.05\",\"period\":\"total\",\"enforcement\":\"hard\"}");
                String replicaA = Files.readString(h.path("gateway-a-data").resolve("replica-id")).strip();

                Load load = new Load(key, n -> new Load.Target(a.uri("/v1/chat/completions"), false, 16), 2, 20, 20).start();
                load.awaitFinished(30_000);
                Set<String> acknowledged = load.acknowledged();
                assertThat(acknowledged).hasSize(20);
                assertThat(db.awaitStored(acknowledged, 20_000, 500)).as("gateway-a stored its usage").isEmpty();
                long[] lease = openLease(db, replicaA);
                long stored = db.teamChargeMicros("leased");
                System.out.printf("[killed-replica-lease] gateway-a (%s) holds lease %d: granted %d micro-USD, reported %d; stored charge %d%n",
                        replicaA, lease[0], lease[1], lease[2], stored);
                assertThat(lease[1]).as("the lease holds an unspent share").isGreaterThan(stored);

                long killedAt = System.nanoTime();
                a.kill();
                String state = "open";
                while (!state.equals("reconciled") && System.nanoTime() - killedAt < 90_000_000_000L) {
                    GatewayProcess.sleep(250);
                    state = leaseState(db, lease[0]);
                }
                long backAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
                long[] period = period(db);
                JsonNode status = b.admin("GET", "/admin/teams/leased/budget", null);
                System.out.printf("[killed-replica-lease] lease %s %d ms after the kill; period spent %d written off %d reserved %d; "
                        + "gateway-b says %s%n", state, backAfterMs, period[0], period[1], period[2] - period[0] - period[1], status);

                assertThat(state).isEqualTo("reconciled");
                assertThat(backAfterMs).as("ms from the kill until the unspent share is back (lease TTL + one flush)")
                        .isLessThanOrEqualTo(LEASE_TTL_MS + 3_000);
                assertThat(period[0]).as("spent = exactly what gateway-a stored").isEqualTo(stored);
                assertThat(period[1]).as("nothing is presumed spent any more").isZero();
                assertThat(new BigDecimal(status.path("spent_usd").asText())).isEqualByComparingTo(BigDecimal.valueOf(stored, 6));
                assertThat(new BigDecimal(status.path("remaining_usd").asText())).as("the unspent share is back")
                        .isEqualByComparingTo(BigDecimal.valueOf(50_000 - stored, 6));
            }
        }
    }

    /** The killed gateway's open lease: id, granted and reported micro-USD. */
    private static long[] openLease(UsageDb db, String replica) throws Exception {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT id, granted_micros, reported_micros FROM budget_leases WHERE replica_id = ? AND state = 'open' ORDER BY id DESC LIMIT 1")) {
            ps.setString(1, replica);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("gateway-a holds an open lease").isTrue();
                return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
            }
        }
    }

    private static String leaseState(UsageDb db, long id) throws Exception {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement("SELECT state FROM budget_leases WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** The budget period's spent, written-off and allocated micro-USD. */
    private static long[] period(UsageDb db) throws Exception {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT p.spent_micros, p.written_off_micros, p.allocated_micros FROM budget_periods p JOIN budgets b ON b.id = p.budget_id "
                        + "WHERE b.team_id = 'leased'")) {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
            }
        }
    }
}
