package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageQueriesTest {
    private static final Instant D1 = Instant.parse("2025-06-01T10:00:00Z");
    private static final Instant D2 = Instant.parse("2025-06-02T23:59:59Z");
    private static final Instant JULY = Instant.parse("2025-07-01T00:00:00Z");

    @TempDir
    Path dir;

    private final DataSource db = TestDatabase.fresh();
    private final UsageQueries queries = new UsageQueries(db);

    private static UsageEvent on(String id, Instant t, String team, String route, String deployment, DeploymentClass cls,
                                 long provider, long charge, long baseline, boolean shadow) {
        return UsageEvent.builder(id, t).team(team, "k-" + team).route(route, "gradual", "50%")
                .deployment(deployment, "p", "m", cls).tokens(100, 10, 0).money(provider, charge, baseline)
                .timing(10, null).shadow(shadow).build();
    }

    @BeforeEach
    void store() throws Exception {
        List<UsageEvent> events = List.of(
                on("1", D1, "search", "chat", "gpt-4o", DeploymentClass.CLOSED, 1000, 1020, 1000, false),
                on("2", D1, "search", "chat", "llama-70b", DeploymentClass.OPEN, 100, 300, 1000, false),
                on("3", D2, "search", "chat", "llama-70b", DeploymentClass.OPEN, 100, 300, 1000, false),
                on("4", D2, "search", "chat", "llama-70b", DeploymentClass.OPEN, 100, 0, 1000, true),
                on("5", D2, "ads", "summarize", "gpt-4o", DeploymentClass.CLOSED, 2000, 2040, 2000, false),
                on("6", JULY, "ads", "chat", "llama-70b", DeploymentClass.OPEN, 50, 150, 500, false));
        try (UsageJournal journal = UsageJournal.open(dir)) {
            UsageJournalTest.appendAll(journal, events);
            new UsageWriter(journal, db).storeOneBatch();
        }
    }

    @Test
    void totalsFollowTheFilters() {
        // team requests and shadow requests are counted apart
        assertThat(queries.total(UsageQueries.Filter.all()).requests()).isEqualTo(5);
        assertThat(queries.total(UsageQueries.Filter.all()).shadowRequests()).isEqualTo(1);
        assertThat(queries.total(UsageQueries.Filter.all().team("search")).teamChargeMicros()).isEqualTo(MicroUsd.ofMicros(1620));
        assertThat(queries.total(UsageQueries.Filter.all().team("search").shadow(false)).requests()).isEqualTo(3);
        assertThat(queries.total(UsageQueries.Filter.all().deployment("gpt-4o")).providerCostMicros()).isEqualTo(MicroUsd.ofMicros(3000));
        assertThat(queries.total(UsageQueries.Filter.all().route("summarize").key("k-ads")).requests()).isEqualTo(1);
        assertThat(queries.total(UsageQueries.Filter.all().between(D2, JULY)).requests()).isEqualTo(2); // to is exclusive
        assertThat(queries.total(UsageQueries.Filter.all().team("nobody"))).isEqualTo(new UsageQueries.Totals(0, 0, 0, 0,
                MicroUsd.ZERO, MicroUsd.ZERO, MicroUsd.ZERO, 0, 0, MicroUsd.ZERO));
    }

    @Test
    void totalsAreGroupedByDayTeamDeploymentAndRoute() {
        List<UsageQueries.Group> byDayTeam = queries.totals(UsageQueries.Filter.all(), UsageQueries.Grouping.DAY, UsageQueries.Grouping.TEAM);
        assertThat(byDayTeam).extracting(UsageQueries.Group::key).containsExactly(
                List.of("2025-06-01", "search"), List.of("2025-06-02", "ads"), List.of("2025-06-02", "search"), List.of("2025-07-01", "ads"));
        assertThat(byDayTeam.get(2).totals().requests()).isEqualTo(1);
        assertThat(byDayTeam.get(2).totals().shadowRequests()).isEqualTo(1);

        List<UsageQueries.Group> byDeployment = queries.totals(UsageQueries.Filter.all().route("chat"), UsageQueries.Grouping.DEPLOYMENT);
        assertThat(byDeployment).extracting(g -> g.key().get(0) + "=" + g.totals().providerCostMicros())
                .containsExactly("gpt-4o=1000", "llama-70b=250");
        assertThat(queries.totals(UsageQueries.Filter.all(), UsageQueries.Grouping.ROUTE)).hasSize(2);
    }

    @Test
    void csvExportHasAHeaderAndOneQuotedRowPerEvent() {
        StringBuilder out = new StringBuilder();
        long rows = queries.exportCsv(UsageQueries.Filter.all().team("search"), out);
        String[] lines = out.toString().split("\r\n");
        assertThat(rows).isEqualTo(4);
        assertThat(lines).hasSize(5);
        assertThat(lines[0]).startsWith("request_id,time,team_id,key_id").endsWith("license_id,token_source,cache_hit,cache_saved_micros");
        assertThat(lines[1]).startsWith("1,2025-06-01T10:00:00Z,search,k-search,,chat,gradual,50%,gpt-4o,p,m,closed,100,10,0,1000,1020,1000,10,,200,,false,false,");

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        queries.exportCsv(UsageQueries.Filter.all(), bytes);
        assertThat(bytes.toString(StandardCharsets.UTF_8).split("\r\n")).hasSize(7);
    }

    @Test
    void csvFieldsWithCommasAndQuotesAreQuoted() throws Exception {
        try (UsageJournal journal = UsageJournal.open(dir)) {
            journal.append(UsageEvent.builder("q", D1).team("odd", null).endUser("a \"b\", c").route("chat", null, null)
                    .deployment("gpt-4o", null, null, DeploymentClass.CLOSED).build()).join();
            new UsageWriter(journal, db).storeOneBatch();
        }
        StringBuilder out = new StringBuilder();
        queries.exportCsv(UsageQueries.Filter.all().team("odd"), out);
        assertThat(out.toString()).contains(",\"a \"\"b\"\", c\",");
    }

    @Test
    void savingsCompareActualCostWithTheClosedBaselinePerRouteTeamAndPeriod() {
        List<UsageQueries.Saving> monthly = queries.savings(UsageQueries.Filter.all(), UsageQueries.Period.MONTH);
        assertThat(monthly).containsExactly(
                saving("chat", "ads", LocalDate.of(2025, 7, 1), 1, 150, 50, 500L, 450L, 0, 0, 0, 0),
                // shadow request: reported apart (1 request, 100 micro-USD), neither team cost nor baseline
                saving("chat", "search", LocalDate.of(2025, 6, 1), 3, 1620, 1200, 3000L, 1800L, 0, 0, 1, 100),
                saving("summarize", "ads", LocalDate.of(2025, 6, 1), 1, 2040, 2000, 2000L, 0L, 0, 0, 0, 0));
        List<UsageQueries.Saving> daily = queries.savings(UsageQueries.Filter.all().team("search"), UsageQueries.Period.DAY);
        assertThat(daily).extracting(UsageQueries.Saving::savingMicros)
                .containsExactly(java.util.Optional.of(MicroUsd.ofMicros(900)), java.util.Optional.of(MicroUsd.ofMicros(900)));
    }

    private static UsageQueries.Saving saving(String route, String team, LocalDate start, long requests, long charge, long provider,
                                              Long baseline, Long saving, long withoutBaseline, long unpricedOpen,
                                              long shadowRequests, long shadowCost) {
        return new UsageQueries.Saving(route, team, start, requests, MicroUsd.ofMicros(charge), MicroUsd.ofMicros(provider),
                java.util.Optional.ofNullable(baseline).map(MicroUsd::ofMicros), java.util.Optional.ofNullable(saving).map(MicroUsd::ofMicros),
                withoutBaseline, unpricedOpen, shadowRequests, MicroUsd.ofMicros(shadowCost), 0, MicroUsd.ZERO);
    }

    @Test
    void anUnpricedBaselineIsNoBaselineNotAZeroSavingAndAnUnpricedOpenDeploymentIsFlagged() throws Exception {
        try (UsageJournal journal = UsageJournal.open(dir)) {
            UsageJournalTest.appendAll(journal, List.of(
                    UsageEvent.builder("nb-1", D1).team("lab", null).route("free", null, null)
                            .deployment("llama-70b", "p", "m", DeploymentClass.OPEN).tokens(100, 10, 0)
                            .money(MicroUsd.ZERO, MicroUsd.ZERO, null).build(),
                    UsageEvent.builder("nb-2", D1).team("lab", null).route("free", null, null)
                            .deployment("llama-70b", "p", "m", DeploymentClass.OPEN).tokens(100, 10, 0)
                            .money(MicroUsd.of(38, 1), MicroUsd.of(38, 1), null).build()));
            new UsageWriter(journal, db).storeOneBatch();
        }
        assertThat(queries.savings(UsageQueries.Filter.all().team("lab"), UsageQueries.Period.MONTH)).containsExactly(
                new UsageQueries.Saving("free", "lab", LocalDate.of(2025, 6, 1), 2, MicroUsd.of(38, 1), MicroUsd.of(38, 1),
                        java.util.Optional.empty(), java.util.Optional.empty(), 2, 1, 0, MicroUsd.ZERO, 0, MicroUsd.ZERO));
        assertThat(queries.total(UsageQueries.Filter.all().team("lab")).requestsWithoutBaseline()).isEqualTo(2);
        assertThat(queries.byRequestId("nb-2").orElseThrow().baselineCostMicros()).isNull();
        assertThat(queries.byRequestId("nb-2").orElseThrow().teamChargeMicros()).isEqualTo(MicroUsd.of(38, 1));
    }

    @Test
    void aCacheHitIsStoredWithItsFlagAndAvoidedCostAndCountsInTheSavingsReport() throws Exception {
        try (UsageJournal journal = UsageJournal.open(dir)) {
            UsageJournalTest.appendAll(journal, List.of(
                    UsageEvent.builder("hit-1", D1).team("cache", null).route("faq", null, null)
                            .deployment("gpt-4o", "p", "m", DeploymentClass.CLOSED).tokens(100, 10, 0)
                            .money(MicroUsd.ZERO, MicroUsd.ZERO, MicroUsd.of(15, 1)).cacheHit(MicroUsd.of(15, 1)).build(),
                    UsageEvent.builder("miss-1", D1).team("cache", null).route("faq", null, null)
                            .deployment("gpt-4o", "p", "m", DeploymentClass.CLOSED).tokens(100, 10, 0)
                            .money(MicroUsd.of(15, 1), MicroUsd.of(15, 1), MicroUsd.of(15, 1)).build()));
            new UsageWriter(journal, db).storeOneBatch();
        }
        UsageEvent hit = queries.byRequestId("hit-1").orElseThrow();
        assertThat(hit.cacheHit()).isTrue();
        assertThat(hit.cacheSavedMicros()).isEqualTo(MicroUsd.of(15, 1));
        assertThat(hit.providerCostMicros()).isEqualTo(MicroUsd.ZERO);
        assertThat(queries.byRequestId("miss-1").orElseThrow().cacheHit()).isFalse();
        UsageQueries.Saving s = queries.savings(UsageQueries.Filter.all().team("cache"), UsageQueries.Period.MONTH).get(0);
        assertThat(s.cacheHits()).isEqualTo(1);
        assertThat(s.cacheSavedMicros()).isEqualTo(MicroUsd.of(15, 1));
        assertThat(s.providerCostMicros()).isEqualTo(MicroUsd.of(15, 1));
    }

    @Test
    void aRequestIsFoundByItsIdAndUnknownIdsAreEmpty() {
        assertThat(queries.byRequestId("4")).get().extracting(UsageEvent::shadow).isEqualTo(true);
        assertThat(queries.byRequestId("missing")).isEmpty();
    }
}
