package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.Tx;
import dev.llmgateway.metering.internal.evidence.JsonText;
import dev.llmgateway.metering.internal.evidence.Redactor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Dataset capture for fine-tuning an open model on a closed model's answers: definitions, capture (redacted before
 * it is stored), retention purge (the only deletion), and export as OpenAI fine-tuning JSONL. Nothing is captured
 * unless a dataset is defined. See docs/datasets.md.
 */
public final class DatasetStore {
    /** Outcome of a capture, checked in this order. */
    public enum CaptureResult { NO_SUCH_DATASET, NOT_CAPTURED, CAPTURED, DUPLICATE }

    /** Outcome of defining a dataset. */
    public enum DefineResult { CREATED, UPDATED }

    private static final String DEFINITION_COLUMNS = "name, route_filter, sample_bp, retention_days, redact_emails, redact_keys, redact_phones";

    private final DataSource db;

    public DatasetStore(DataSource db) { this.db = db; }

    /** Creates or replaces a dataset's definition; rows already captured keep their redaction. */
    public DefineResult define(DatasetDefinition d) {
        String sql = "INSERT INTO datasets (" + DEFINITION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE "
                + "SET route_filter = EXCLUDED.route_filter, sample_bp = EXCLUDED.sample_bp, retention_days = EXCLUDED.retention_days, "
                + "redact_emails = EXCLUDED.redact_emails, redact_keys = EXCLUDED.redact_keys, "
                + "redact_phones = EXCLUDED.redact_phones, updated_at = now() RETURNING (xmax = 0)";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, d.name());
            ps.setString(2, d.route().orElse(null));
            ps.setInt(3, d.sampleShareBp());
            ps.setInt(4, d.retentionDays());
            ps.setBoolean(5, d.redactEmails());
            ps.setBoolean(6, d.redactKeys());
            ps.setBoolean(7, d.redactPhones());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1) ? DefineResult.CREATED : DefineResult.UPDATED;
            }
        } catch (SQLException e) {
            throw new StoreException("defining dataset " + d.name(), e);
        }
    }

    public Optional<DatasetDefinition> definition(String name) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT " + DEFINITION_COLUMNS + " FROM datasets WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(definition(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading dataset " + name, e);
        }
    }

    /** Every defined dataset, by name. */
    public List<DatasetDefinition> definitions() {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT " + DEFINITION_COLUMNS + " FROM datasets ORDER BY name");
             ResultSet rs = ps.executeQuery()) {
            List<DatasetDefinition> out = new ArrayList<>();
            while (rs.next()) out.add(definition(rs));
            return out;
        } catch (SQLException e) {
            throw new StoreException("listing datasets", e);
        }
    }

    /**
     * Captures one request into {@code dataset} if its definition selects it (route, sample): the request's messages
     * and the answer ({@code completion}, the assistant's text), both redacted by the dataset's rules before storing.
     */
    public CaptureResult capture(String dataset, String requestId, String teamId, String route,
                                 List<DatasetMessage> messages, String completion, Instant at) {
        Optional<DatasetDefinition> found = definition(dataset);
        if (found.isEmpty()) return CaptureResult.NO_SUCH_DATASET;
        return capture(found.get(), requestId, teamId, route, messages, completion, at);
    }

    /** {@link #capture(String, String, String, String, List, String, Instant)} with a definition the caller holds (one query less). */
    public CaptureResult capture(DatasetDefinition d, String requestId, String teamId, String route,
                                 List<DatasetMessage> messages, String completion, Instant at) {
        Objects.requireNonNull(completion, "completion");
        if (!d.captures(requestId, route)) return CaptureResult.NOT_CAPTURED;
        Redactor.Rules rules = new Redactor.Rules(d.redactEmails(), d.redactKeys(), d.redactPhones());
        StringBuilder json = new StringBuilder("[");
        for (DatasetMessage m : messages) {
            if (json.length() > 1) json.append(',');
            json.append(message(m.role(), Redactor.redact(m.content(), rules)));
        }
        json.append(']');
        String answer = message("assistant", Redactor.redact(completion, rules));
        String sql = "INSERT INTO dataset_rows (dataset, request_id, team_id, route, created_at, messages, completion) "
                + "VALUES (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb) ON CONFLICT (dataset, request_id) DO NOTHING";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, d.name());
            ps.setString(2, requestId);
            ps.setString(3, teamId);
            ps.setString(4, route);
            ps.setTimestamp(5, Timestamp.from(at));
            ps.setString(6, json.toString());
            ps.setString(7, answer);
            return ps.executeUpdate() == 1 ? CaptureResult.CAPTURED : CaptureResult.DUPLICATE;
        } catch (SQLException e) {
            throw new StoreException("capturing request " + requestId + " into dataset " + d.name(), e);
        }
    }

    /** Rows stored in a dataset. */
    public long rows(String dataset) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM dataset_rows WHERE dataset = ?")) {
            ps.setString(1, dataset);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new StoreException("counting rows of dataset " + dataset, e);
        }
    }

    /** Deletes every row older than its dataset's retention at {@code now}; returns how many. */
    public long purgeExpired(Instant now) {
        String sql = "DELETE FROM dataset_rows r USING datasets d WHERE r.dataset = d.name "
                + "AND r.created_at < ?::timestamptz - make_interval(days => d.retention_days)";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setTimestamp(1, Timestamp.from(now));
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("purging expired dataset rows", e);
        }
    }

    /**
     * Writes the rows of {@code dataset} captured in {@code from <= at < to} as OpenAI fine-tuning JSONL, one line
     * {@code {"messages":[...request messages..., {"role":"assistant","content":...}]}} per row, ordered by capture
     * time then request id. With {@code minScore}, only rows whose request's latest feedback is at least that score
     * (rows without feedback are left out). Returns the number of lines.
     */
    public long exportJsonl(String dataset, Instant from, Instant to, Optional<FeedbackScore> minScore, Appendable out) {
        String sql = "SELECT jsonb_build_object('messages', d.messages || jsonb_build_array(d.completion))::text "
                + "FROM dataset_rows d LEFT JOIN LATERAL (SELECT score_bp FROM feedback f WHERE f.request_id = d.request_id "
                + "ORDER BY f.id DESC LIMIT 1) f ON true WHERE d.dataset = ? AND d.created_at >= ? AND d.created_at < ?"
                + (minScore.isPresent() ? " AND f.score_bp >= ?" : "") + " ORDER BY d.created_at, d.request_id";
        try {
            return Tx.readOnlyCursor(db, c -> {
                long lines = 0;
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setFetchSize(500);
                    ps.setString(1, dataset);
                    ps.setTimestamp(2, Timestamp.from(from));
                    ps.setTimestamp(3, Timestamp.from(to));
                    if (minScore.isPresent()) ps.setInt(4, minScore.get().basisPoints());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.append(rs.getString(1)).append('\n');
                            lines++;
                        }
                    }
                }
                return lines;
            });
        } catch (SQLException e) {
            throw new StoreException("exporting dataset " + dataset, e);
        } catch (IOException e) {
            throw new UncheckedIOException("writing dataset JSONL", e);
        }
    }

    private static String message(String role, String content) {
        return "{\"role\":" + JsonText.quote(role) + ",\"content\":" + JsonText.quote(content) + "}";
    }

    private static DatasetDefinition definition(ResultSet rs) throws SQLException {
        return new DatasetDefinition(rs.getString(1), Optional.ofNullable(rs.getString(2)), rs.getInt(3), rs.getInt(4),
                rs.getBoolean(5), rs.getBoolean(6), rs.getBoolean(7));
    }
}
