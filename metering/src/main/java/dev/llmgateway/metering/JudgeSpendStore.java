package dev.llmgateway.metering;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import javax.sql.DataSource;

/**
 * What each route's shadow judge spent per UTC day, shared by every replica ({@code judge_spend}), so a route's daily
 * cap holds across replicas: a judge call starts only while the stored spend is below the cap, and its cost is added
 * atomically when it returns. Calls already running when the cap is reached still finish, so the cap can be passed by
 * at most the cost of the judge calls in flight at that moment (one short call each, max_tokens 4).
 */
public final class JudgeSpendStore {
    private final DataSource db;

    public JudgeSpendStore(DataSource db) { this.db = db; }

    /** The route's judge spend on {@code day}, micro-USD (0 when nothing was spent). */
    public long spent(String route, LocalDate day) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT spent_micros FROM judge_spend WHERE route = ? AND day = ?")) {
            ps.setString(1, route);
            ps.setObject(2, day);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw new StoreException("reading the judge spend of route " + route, e);
        }
    }

    /** Adds a judge call's cost; returns the route's spend on that day after it. */
    public long add(String route, LocalDate day, long micros) {
        if (micros < 0) throw new IllegalArgumentException("judge cost must not be negative");
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO judge_spend (route, day, spent_micros) VALUES (?, ?, ?) ON CONFLICT (route, day) "
                        + "DO UPDATE SET spent_micros = judge_spend.spent_micros + EXCLUDED.spent_micros RETURNING spent_micros")) {
            ps.setString(1, route);
            ps.setObject(2, day);
            ps.setLong(3, micros);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new StoreException("adding to the judge spend of route " + route, e);
        }
    }
}
