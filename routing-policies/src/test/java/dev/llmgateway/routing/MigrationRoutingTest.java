package dev.llmgateway.routing;

import static dev.llmgateway.routing.Fixtures.MIGRATION;
import static dev.llmgateway.routing.Fixtures.routed;
import static dev.llmgateway.routing.Fixtures.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MigrationRoutingTest {

    private static final Instant T0 = Instant.parse("2026-01-05T09:00:00Z");
    private static final Route CHAT = Route.of("chat", MIGRATION);
    private static final Router ROUTER = Fixtures.router(CHAT);

    private static MigrationState at(int stage, MigrationStatus status) {
        return new MigrationState("chat", stage, status, T0, List.of());
    }

    private static Decision.Routed decide(String userId, MigrationState state) {
        return routed(ROUTER.decide("chat", user(userId), HealthView.allHealthy(),
                MigrationStates.of(Map.of("chat", state))));
    }

    @Test
    void usersOnTheOpenSideStayThereAsStagesGrow() {
        qt().withExamples(500).forAll(strings().allPossible().ofLengthBetween(0, 40))
                .checkAssert(MigrationRoutingTest::openSideIsSticky);
    }

    private static void openSideIsSticky(String userId) {
        boolean wasOpen = false;
        for (int stage = 0; stage < MIGRATION.stagesPercent().size(); stage++) {
            boolean open = decide(userId, at(stage, MigrationStatus.ACTIVE)).primary().name().equals("llama-70b");
            if (wasOpen) {
                assertThat(open).as("user moved back to closed at stage %d", stage + 1).isTrue();
            }
            wasOpen = open;
        }
        assertThat(wasOpen).as("everyone is on the open model at 100%").isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void openShareMatchesTheStagePercentOver100kUsers(int stage) {
        int users = 100_000;
        int open = 0;
        for (int i = 0; i < users; i++) {
            if (decide("user-" + i, at(stage, MigrationStatus.ACTIVE)).primary().name().equals("llama-70b")) {
                open++;
            }
        }
        assertThat(open / (double) users).isCloseTo(MIGRATION.stagesPercent().get(stage) / 100.0, within(0.005));
    }

    @Test
    void rolledBackRoutesSendNobodyToTheOpenModel() {
        for (int i = 0; i < 5_000; i++) {
            Decision.Routed r = decide("u" + i, at(3, MigrationStatus.ROLLED_BACK));
            assertThat(r.primary().name()).isEqualTo("gpt-4o");
            assertThat(r.stage()).contains("rolled back (0%)");
        }
    }

    @Test
    void completedMigrationsSendEveryoneToTheOpenModel() {
        for (int i = 0; i < 5_000; i++) {
            assertThat(decide("u" + i, at(1, MigrationStatus.COMPLETED)).primary().name()).isEqualTo("llama-70b");
        }
    }

    @Test
    void pausedAndPinnedStatesKeepServingTheirStage() {
        assertThat(decide("u1", at(1, MigrationStatus.PAUSED)).stage()).contains("2/4 (25%) paused");
        assertThat(decide("u1", at(2, MigrationStatus.PINNED)).stage()).contains("3/4 (50%) pinned");
        assertThat(decide("u1", at(2, MigrationStatus.PINNED)).primary())
                .isEqualTo(decide("u1", at(2, MigrationStatus.ACTIVE)).primary());
    }

    @Test
    void aRouteWithoutStoredStateStartsAtTheFirstStage() {
        Decision.Routed r = routed(ROUTER.decide("chat", user("u1"), HealthView.allHealthy(), MigrationStates.none()));
        assertThat(r.policy()).isEqualTo("migration");
        assertThat(r.stage()).contains("1/4 (5%)");
        assertThat(r.reason()).startsWith("migration: bucket ");
    }

    @Test
    void theOtherSideIsTheFallbackAndTakesOverWhenTheOpenModelsCircuitIsOpen() {
        String openUser = null;
        for (int i = 0; openUser == null; i++) {
            if (decide("u" + i, at(0, MigrationStatus.ACTIVE)).primary().name().equals("llama-70b")) {
                openUser = "u" + i;
            }
        }
        Decision.Routed healthy = decide(openUser, at(0, MigrationStatus.ACTIVE));
        assertThat(healthy.fallbacks()).extracting(Deployment::name).containsExactly("gpt-4o");

        Decision.Routed broken = routed(ROUTER.decide("chat", user(openUser),
                HealthView.of(Map.of("llama-70b", DeploymentHealth.circuitOpened())),
                MigrationStates.of(Map.of("chat", at(0, MigrationStatus.ACTIVE)))));
        assertThat(broken.primary().name()).isEqualTo("gpt-4o");
        assertThat(broken.fallbacks()).extracting(Deployment::name).containsExactly("llama-70b");
        assertThat(broken.reason()).endsWith("; llama-70b circuit open -> gpt-4o");
    }

    @Test
    void theShadowIsNeverThePrimaryItself() {
        Router router = Fixtures.router(CHAT.withShadow(new ShadowSpec("llama-70b", 1.0)));
        MigrationStates states = MigrationStates.of(Map.of("chat", at(2, MigrationStatus.ACTIVE)));
        for (int i = 0; i < 2_000; i++) {
            Decision.Routed r = routed(router.decide("chat", user("u" + i), HealthView.allHealthy(), states));
            if (r.primary().name().equals("llama-70b")) {
                assertThat(r.shadow()).isEmpty();
            } else {
                assertThat(r.shadow()).map(Deployment::name).contains("llama-70b");
            }
        }
    }
}
