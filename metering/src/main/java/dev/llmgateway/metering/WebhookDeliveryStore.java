package dev.llmgateway.metering;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import javax.sql.DataSource;

/** The state of every outgoing webhook delivery: created pending, updated after each attempt. */
public final class WebhookDeliveryStore {
    /** Where a delivery stands. */
    public enum Status {
        PENDING, DELIVERED, FAILED;

        public String wire() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** One delivery as stored. */
    public record Delivery(long id, String eventType, String payload, Status status, int attempts, OptionalInt lastStatus,
                           Optional<String> lastError, Instant createdAt, Instant updatedAt, Optional<Instant> deliveredAt) {}

    private final DataSource db;

    public WebhookDeliveryStore(DataSource db) { this.db = db; }

    /** Records a new pending delivery; returns its id. */
    public long create(String eventType, String payload) {
        String sql = "INSERT INTO webhook_deliveries (event_type, payload, status) VALUES (?, ?, 'pending') RETURNING id";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, eventType);
            ps.setString(2, payload);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new StoreException("recording a webhook delivery", e);
        }
    }

    /** Records the outcome of attempt number {@code attempts}. */
    public void attempted(long id, int attempts, Status status, OptionalInt httpStatus, Optional<String> error) {
        String sql = "UPDATE webhook_deliveries SET attempts = ?, status = ?, last_status = ?, last_error = ?, updated_at = now(),"
                + " delivered_at = CASE WHEN ? THEN now() ELSE delivered_at END WHERE id = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, attempts);
            ps.setString(2, status.wire());
            if (httpStatus.isPresent()) ps.setInt(3, httpStatus.getAsInt());
            else ps.setNull(3, Types.INTEGER);
            ps.setString(4, error.map(e -> e.length() > 500 ? e.substring(0, 500) : e).orElse(null));
            ps.setBoolean(5, status == Status.DELIVERED);
            ps.setLong(6, id);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("updating webhook delivery " + id, e);
        }
    }

    /** The newest deliveries first. */
    public List<Delivery> recent(int limit) {
        String sql = "SELECT id, event_type, payload, status, attempts, last_status, last_error, created_at, updated_at, delivered_at"
                + " FROM webhook_deliveries ORDER BY created_at DESC, id DESC LIMIT ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                List<Delivery> out = new ArrayList<>();
                while (rs.next()) {
                    int last = rs.getInt(6);
                    OptionalInt lastStatus = rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(last);
                    Timestamp delivered = rs.getTimestamp(10);
                    out.add(new Delivery(rs.getLong(1), rs.getString(2), rs.getString(3),
                            Status.valueOf(rs.getString(4).toUpperCase(java.util.Locale.ROOT)), rs.getInt(5), lastStatus,
                            Optional.ofNullable(rs.getString(7)), rs.getTimestamp(8).toInstant(), rs.getTimestamp(9).toInstant(),
                            Optional.ofNullable(delivered).map(Timestamp::toInstant)));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("listing webhook deliveries", e);
        }
    }
}
