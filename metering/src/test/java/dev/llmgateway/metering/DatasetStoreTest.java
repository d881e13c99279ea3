package dev.llmgateway.metering;

import static dev.llmgateway.metering.EvidenceDb.served;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmgateway.metering.DatasetStore.CaptureResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class DatasetStoreTest {
    private static final Instant T = Instant.parse("2025-06-01T10:00:00Z");
    private static final List<DatasetMessage> ASK = List.of(
            new DatasetMessage("system", "You are terse."),
            new DatasetMessage("user", "Mail jane.doe@example.com, key sk-abcdef123456789, call +33 6 12 34 56 78"));

    private final DataSource db = TestDatabase.fresh();
    private final DatasetStore store = new DatasetStore(db);

    private CaptureResult capture(String dataset, String requestId, Instant at) {
        return store.capture(dataset, requestId, "search", "chat", ASK, "Done: wrote to jane.doe@example.com", at);
    }

    @Test
    void nothingIsCapturedUntilADatasetIsDefined() {
        assertThat(store.definitions()).isEmpty();
        assertThat(capture("chat-tune", "r1", T)).isEqualTo(CaptureResult.NO_SUCH_DATASET);

        DatasetDefinition d = new DatasetDefinition("chat-tune", Optional.of("chat"), 10_000, 30, true, false, true);
        assertThat(store.define(d)).isEqualTo(DatasetStore.DefineResult.CREATED);
        assertThat(store.define(d)).isEqualTo(DatasetStore.DefineResult.UPDATED);
        assertThat(store.definition("chat-tune")).contains(d);
        assertThat(store.capture("chat-tune", "r1", "search", "summarize", ASK, "x", T)).isEqualTo(CaptureResult.NOT_CAPTURED);
        assertThat(capture("chat-tune", "r1", T)).isEqualTo(CaptureResult.CAPTURED);
        assertThat(capture("chat-tune", "r1", T)).isEqualTo(CaptureResult.DUPLICATE);
        assertThat(store.capture(d, "r2", "search", "chat", ASK, "x", T)).isEqualTo(CaptureResult.CAPTURED);
        assertThat(store.rows("chat-tune")).isEqualTo(2);
    }

    @Test
    void captureRedactsBeforeAnythingIsStored() throws SQLException {
        store.define(DatasetDefinition.of("all", Optional.empty(), 30));
        store.define(new DatasetDefinition("emails-only", Optional.empty(), 10_000, 30, true, false, false));
        capture("all", "r1", T);
        capture("emails-only", "r1", T);

        String all = text("SELECT messages::text || completion::text FROM dataset_rows WHERE dataset = 'all'");
        assertThat(all).doesNotContain("jane.doe", "example.com", "sk-abcdef", "12 34 56")
                .contains("[EMAIL]", "[KEY]", "[PHONE]", "You are terse.", "Done: wrote to [EMAIL]");
        String emailsOnly = text("SELECT messages::text FROM dataset_rows WHERE dataset = 'emails-only'");
        assertThat(emailsOnly).doesNotContain("jane.doe").contains("sk-abcdef123456789", "+33 6 12 34 56 78");
    }

    @Test
    void samplingKeepsTheDecidedShareAndDecidesTheSameWayEveryTime() {
        DatasetDefinition half = new DatasetDefinition("half", Optional.empty(), 5_000, 30, true, true, true);
        store.define(half);
        int captured = 0;
        for (int i = 0; i < 400; i++) {
            String id = "req-" + i;
            CaptureResult r = store.capture("half", id, "t", "chat", List.of(), "a", T);
            assertThat(r == CaptureResult.CAPTURED).isEqualTo(half.captures(id, "chat"));
            if (r == CaptureResult.CAPTURED) captured++;
        }
        assertThat(captured).isBetween(160, 240);
        DatasetDefinition none = new DatasetDefinition("none", Optional.empty(), 0, 30, true, true, true);
        assertThat(none.captures("req-1", "chat")).isFalse();
        assertThatThrownBy(() -> new DatasetDefinition("Bad Name", Optional.empty(), 1, 1, true, true, true))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void purgeDeletesOnlyRowsPastTheirDatasetsRetention() throws SQLException {
        store.define(DatasetDefinition.of("week", Optional.empty(), 7));
        store.define(DatasetDefinition.of("month", Optional.empty(), 30));
        Instant now = T.plus(Duration.ofDays(20));
        capture("week", "old", T);                                   // 20 days old: gone
        capture("week", "edge", now.minus(Duration.ofDays(7)));      // exactly 7 days: kept
        capture("week", "new", now.minus(Duration.ofDays(1)));
        capture("month", "old", T);                                  // 20 of 30 days: kept

        assertThat(store.purgeExpired(now)).isEqualTo(1);
        assertThat(store.rows("week")).isEqualTo(2);
        assertThat(store.rows("month")).isEqualTo(1);
        assertThat(store.purgeExpired(now)).isZero();
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeUpdate("UPDATE dataset_rows SET team_id = 'x'")).hasMessageContaining("append-only");
        }
    }

    @Test
    void exportWritesOneFineTuningLinePerRowInCaptureOrderWithinThePeriod() throws SQLException {
        store.define(DatasetDefinition.of("tune", Optional.empty(), 365));
        String tricky = "quote \" backslash \\ newline\n tab\t unicode é 😀 nul\u0000 ctrl\u0001 lone\uD800";
        store.capture("tune", "b", "t", "chat", List.of(new DatasetMessage("user", tricky)), "answer \"b\"", T.plusSeconds(1));
        store.capture("tune", "a", "t", "chat", ASK, "answer a", T.plusSeconds(1));
        store.capture("tune", "c", "t", "chat", ASK, "answer c", T);
        store.capture("tune", "late", "t", "chat", ASK, "answer late", T.plusSeconds(3600));

        StringBuilder out = new StringBuilder();
        assertThat(store.exportJsonl("tune", T, T.plusSeconds(60), Optional.empty(), out)).isEqualTo(3);
        String[] lines = out.toString().split("\n", -1);
        assertThat(lines).hasSize(4);
        assertThat(lines[3]).isEmpty(); // every line ends with \n

        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "SELECT jsonb_typeof(j), (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(j) k)::text, "
                            + "jsonb_typeof(j->'messages'), jsonb_array_length(j->'messages'), j->'messages'->-1->>'role', "
                            + "j->'messages'->-1->>'content', j->'messages'->0->>'content', "
                            + "(SELECT bool_and(jsonb_typeof(m->'role') = 'string' AND jsonb_typeof(m->'content') = 'string') "
                            + "FROM jsonb_array_elements(j->'messages') m) FROM (SELECT ?::jsonb AS j) x")) {
                ps.setString(1, lines[i]);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("object");
                    assertThat(rs.getString(2)).isEqualTo("{messages}");
                    assertThat(rs.getString(3)).isEqualTo("array");
                    assertThat(rs.getString(5)).isEqualTo("assistant");
                    assertThat(rs.getBoolean(8)).isTrue();
                    answers.add(rs.getString(6));
                    if (i == 2) {
                        assertThat(rs.getInt(4)).isEqualTo(2);
                        assertThat(rs.getString(7)).isEqualTo(
                                "quote \" backslash \\ newline\n tab\t unicode é 😀 nul\uFFFD ctrl\u0001 lone\uFFFD");
                    } else {
                        assertThat(rs.getInt(4)).isEqualTo(3);
                    }
                }
            }
        }
        assertThat(answers).containsExactly("answer c", "answer a", "answer \"b\"");
        assertThat(store.exportJsonl("tune", T.plusSeconds(1), T.plusSeconds(2), Optional.empty(), new StringBuilder())).isEqualTo(2);
        assertThat(store.exportJsonl("other", T, T.plusSeconds(60), Optional.empty(), new StringBuilder())).isZero();
    }

    @Test
    void aMinimumScoreExportsOnlyRowsWhoseLatestFeedbackReachesIt() {
        EvidenceDb.store(db, List.of(served("good", T, "search", "chat", "gpt-4o", DeploymentClass.CLOSED),
                served("bad", T, "search", "chat", "gpt-4o", DeploymentClass.CLOSED),
                served("improved", T, "search", "chat", "gpt-4o", DeploymentClass.CLOSED),
                served("silent", T, "search", "chat", "gpt-4o", DeploymentClass.CLOSED)));
        FeedbackStore feedback = new FeedbackStore(db);
        feedback.record("good", "search", new FeedbackScore(9_000), null, T);
        feedback.record("bad", "search", new FeedbackScore(8_000), null, T);
        feedback.record("bad", "search", new FeedbackScore(1_000), "on reflection, no", T);
        feedback.record("improved", "search", FeedbackScore.THUMBS_DOWN, null, T);
        feedback.record("improved", "search", FeedbackScore.THUMBS_UP, null, T);
        store.define(DatasetDefinition.of("tune", Optional.of("chat"), 365));
        for (String id : List.of("good", "bad", "improved", "silent")) {
            store.capture("tune", id, "search", "chat", ASK, "answer " + id, T);
        }

        StringBuilder out = new StringBuilder();
        assertThat(store.exportJsonl("tune", T, T.plusSeconds(1), Optional.of(new FeedbackScore(9_000)), out)).isEqualTo(2);
        assertThat(out.toString()).contains("answer good", "answer improved").doesNotContain("answer bad", "answer silent");
        assertThat(store.exportJsonl("tune", T, T.plusSeconds(1), Optional.of(FeedbackScore.THUMBS_DOWN), new StringBuilder())).isEqualTo(3);
        assertThat(store.exportJsonl("tune", T, T.plusSeconds(1), Optional.empty(), new StringBuilder())).isEqualTo(4);
    }

    private String text(String sql) throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
