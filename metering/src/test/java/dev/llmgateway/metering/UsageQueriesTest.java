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
        assertThat(queries.total(UsageQueries.Filter.all()).requests()).isEqualTo(6);
        assertThat(queries.total(UsageQueries.Filter.all().team("search")).teamChargeMicros()).isEqualTo(1620);
        assertThat(queries.total(UsageQueries.Filter.all().team("search").shadow(false)).requests()).isEqualTo(3);
        assertThat(queries.total(UsageQueries.Filter.all().deployment("gpt-4o")).providerCostMicros()).isEqualTo(3000);
        assertThat(queries.total(UsageQueries.Filter.all().route("summarize").key("k-ads")).requests()).isEqualTo(1);
        assertThat(queries.total(UsageQueries.Filter.all().between(D2, JULY)).requests()).isEqualTo(3); // to is exclusive
        assertThat(queries.total(UsageQueries.Filter.all().team("nobody"))).isEqualTo(new UsageQueries.Totals(0, 0, 0, 0, 0, 0, 0));
    }

    @Test
    void totalsAreGroupedByDayTeamDeploymentAndRoute() {
        List<UsageQueries.Group> byDayTeam = queries.totals(UsageQueries.Filter.all(), UsageQueries.Grouping.DAY, UsageQueries.Grouping.TEAM);
        assertThat(byDayTeam).extracting(UsageQueries.Group::key).containsExactly(
                List.of("2025-06-01", "search"), List.of("2025-06-02", "ads"), List.of("2025-06-02", "search"), List.of("2025-07-01", "ads"));
        assertThat(byDayTeam.get(2).totals().requests()).isEqualTo(2);

        List<UsageQueries.Group> byDeployment = queries.totals(UsageQueries.Filter.all().route("chat"), UsageQueries.Grouping.DEPLOYMENT);
        assertThat(byDeployment).extracting(g -> g.key().get(0) + "=" + g.totals().providerCostMicros())
                .containsExactly("gpt-4o=1000", "llama-70b=350");
        assertThat(queries.totals(UsageQueries.Filter.all(), UsageQueries.Grouping.ROUTE)).hasSize(2);
    }

    @Test
    void csvExportHasAHeaderAndOneQuotedRowPerEvent() {
        StringBuilder out = new StringBuilder();
        long rows = queries.exportCsv(UsageQueries.Filter.all().team("search"), out);
        String[] lines = out.toString().split("\r\n");
        assertThat(rows).isEqualTo(4);
        assertThat(lines).hasSize(5);
        assertThat(lines[0]).startsWith("request_id,time,team_id,key_id").endsWith("license_id");
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
                new UsageQueries.Saving("chat", "ads", LocalDate.of(2025, 7, 1), 1, 150, 50, 500, 450),
                // shadow request: its cost counts as spent, its baseline does not (nobody would have paid for it)
                new UsageQueries.Saving("chat", "search", LocalDate.of(2025, 6, 1), 3, 1620, 1300, 3000, 1700),
                new UsageQueries.Saving("summarize", "ads", LocalDate.of(2025, 6, 1), 1, 2040, 2000, 2000, 0));
        List<UsageQueries.Saving> daily = queries.savings(UsageQueries.Filter.all().team("search"), UsageQueries.Period.DAY);
        assertThat(daily).extracting(UsageQueries.Saving::savingMicros).containsExactly(900L, 800L);
    }

    @Test
    void aRequestIsFoundByItsIdAndUnknownIdsAreEmpty() {
        assertThat(queries.byRequestId("4")).get().extracting(UsageEvent::shadow).isEqualTo(true);
        assertThat(queries.byRequestId("missing")).isEmpty();
    }
}
