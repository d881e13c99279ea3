package dev.llmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.testsupport.TestPostgres;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two packaged gateway processes on one PostgreSQL enforce one hard team budget together: concurrent requests spread
 * over both never make the team's stored charge exceed the limit.
 */
class SharedBudgetTest {
    static final long LIMIT_MICROS = 2_000;

    @Test
    @Timeout(value = 150)
    void twoGatewayProcessesShareOneHardBudgetWithoutOverspending() throws Exception {
        try (Harness h = new Harness("shared-budget", null)) {
            // The test PostgreSQL (embedded, or a container with -Dgateway.test.db=testcontainers), a fresh database.
            String database = TestPostgres.freshDatabase("e2e");
            UsageDb db = new UsageDb(TestPostgres.server(), database);
            String dbUrl = TestPostgres.server().jdbcUrl(database);
            try (GatewayProcess a = GatewayProcess.start("gateway-a", h.settings("gateway-a", GatewayProcess.freePort(), dbUrl));
                 GatewayProcess b = GatewayProcess.start("gateway-b", h.settings("gateway-b", GatewayProcess.freePort(), dbUrl))) {
                String key = a.createTeamAndKey("budgeted");
                // 0.002 USD. A request costs about 4 prompt tokens x 1 + 7 completion tokens x 4 = 32 micro-USD, so the
                // budget fits about 60 of the 300 requests; each reserves its worst case (prompt bound + max_tokens).
                a.admin("PUT", "/admin/teams/budgeted/budget", "{\"limit_usd\":\"0.002\",\"period\":\"total\",\"enforcement\":\"hard\"}");
                GatewayProcess[] both = {a, b};
                int[] maxTokens = {8, 16, 32};
                Load load = new Load(key, n -> new Load.Target(both[n % 2].uri("/v1/chat/completions"), n % 5 == 4, maxTokens[n % 3]),
                        8, 5, 300).start();
                load.awaitFinished(60_000);
                System.out.printf("[shared-budget] %d requests sent, %d acknowledged (by port %s; a=%d b=%d), failures %s%n",
                        load.sent(), load.acknowledgedCount(), load.acknowledgedByPort(), a.port(), b.port(), load.failures());
                Set<String> acknowledged = load.acknowledged();
                Set<String> missing = db.awaitStored(acknowledged, 30_000, 2_000);
                long charged = db.teamChargeMicros("budgeted");
                var totals = db.queries().total(dev.llmgateway.metering.UsageQueries.Filter.all().team("budgeted"));
                System.out.printf("[shared-budget] stored: %s; team charge %d of %d micro-USD; budget %s%n", totals, charged, LIMIT_MICROS,
                        a.admin("GET", "/admin/teams/budgeted/budget", null));
                assertThat(missing).as("acknowledged request ids missing from usage_events").isEmpty();
                assertThat(load.failures()).as("the budget ran out (429 budget_exceeded), and nothing else failed")
                        .containsKey("429 budget_exceeded").containsOnlyKeys("429 budget_exceeded");
                assertThat(load.acknowledgedByPort()).as("both gateways answered requests within the budget").hasSize(2);
                assertThat(charged).as("team charge stored for the budgeted team, micro-USD").isPositive().isLessThanOrEqualTo(LIMIT_MICROS);
                assertThat(db.duplicates()).isEmpty();
            }
        }
    }
}
