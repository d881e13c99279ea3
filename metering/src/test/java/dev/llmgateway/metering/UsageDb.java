package dev.llmgateway.metering;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/** Direct SQL checks on stored usage for tests. */
final class UsageDb {
    private UsageDb() {}

    static long scalar(DataSource db, String sql) {
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** The first row of {@code sql} as PostgreSQL prints it (every column as text, joined by '|'). */
    static String text(DataSource db, String sql) {
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            if (!rs.next()) return null;
            StringBuilder b = new StringBuilder();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) b.append(i > 1 ? "|" : "").append(rs.getString(i));
            return b.toString();
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    static long rows(DataSource db) { return scalar(db, "SELECT count(*) FROM usage_events"); }

    static long duplicateIds(DataSource db) {
        return scalar(db, "SELECT count(*) FROM (SELECT request_id FROM usage_events GROUP BY request_id HAVING count(*) > 1) d");
    }

    /** A fingerprint of everything stored: rows, token and money sums. */
    static String totals(DataSource db) {
        return rows(db) + "/" + scalar(db, "SELECT coalesce(sum(prompt_tokens + completion_tokens + cached_tokens), 0) FROM usage_events")
                + "/" + scalar(db, "SELECT coalesce(sum(provider_cost_micros + team_charge_micros + baseline_cost_micros), 0) FROM usage_events");
    }
}
