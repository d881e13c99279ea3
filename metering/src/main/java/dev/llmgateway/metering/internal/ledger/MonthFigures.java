package dev.llmgateway.metering.internal.ledger;

import dev.llmgateway.metering.LicensePeriodFigures;
import dev.llmgateway.metering.MicroUsd;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The threshold figures of one license in one usage month, as loaded and then advanced request by request. */
public final class MonthFigures {
    public final String licenseId;
    public final YearMonth month;
    private LicensePeriodFigures figures;
    private final Set<String> knownUsers;
    private final Set<String> newUsers = new LinkedHashSet<>();
    private boolean changed;

    private MonthFigures(String licenseId, YearMonth month, LicensePeriodFigures figures, Set<String> knownUsers) {
        this.licenseId = licenseId;
        this.month = month;
        this.figures = figures;
        this.knownUsers = knownUsers;
    }

    /**
     * A request's user: its team and end user; a request without end user counts as the team's one anonymous user.
     * Stored as the hex SHA-256 of that text: fixed length whatever the client sent (migration V7 converted older keys).
     */
    public static String userKey(String teamId, String endUser) {
        String raw = endUser == null ? teamId + "\n" : teamId + "\nu:" + endUser;
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(raw.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public LicensePeriodFigures figures() { return figures; }

    /** Adds one request to the month. */
    public LicensePeriodFigures add(String userKey, MicroUsd chargeMicros, long tokens) {
        boolean fresh = !knownUsers.contains(userKey) && newUsers.add(userKey);
        figures = figures.plus(fresh, chargeMicros, tokens);
        changed = true;
        return figures;
    }

    /** Loads the stored figures of a license's month, and which of {@code candidateUsers} it already counted. */
    public static MonthFigures load(Connection c, String licenseId, YearMonth month, Collection<String> candidateUsers)
            throws SQLException {
        LicensePeriodFigures f = LicensePeriodFigures.ZERO;
        try (PreparedStatement ps = c.prepareStatement("SELECT active_users, revenue_micros, tokens FROM license_period_figures "
                + "WHERE license_id = ? AND period = ?")) {
            ps.setString(1, licenseId);
            ps.setString(2, Periods.wire(month));
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) f = new LicensePeriodFigures(rs.getLong(1), new MicroUsd(rs.getBigDecimal(2)), rs.getLong(3));
            }
        }
        Set<String> known = new HashSet<>();
        if (!candidateUsers.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT user_key FROM license_period_users WHERE license_id = ? "
                    + "AND period = ? AND user_key = ANY(?)")) {
                ps.setString(1, licenseId);
                ps.setString(2, Periods.wire(month));
                ps.setArray(3, c.createArrayOf("text", candidateUsers.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) known.add(rs.getString(1));
                }
            }
        }
        return new MonthFigures(licenseId, month, f, known);
    }

    /** Every license's stored figures for a month. */
    public static Map<String, LicensePeriodFigures> all(Connection c, YearMonth month) throws SQLException {
        Map<String, LicensePeriodFigures> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT license_id, active_users, revenue_micros, tokens "
                + "FROM license_period_figures WHERE period = ?")) {
            ps.setString(1, Periods.wire(month));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.put(rs.getString(1), new LicensePeriodFigures(rs.getLong(2), new MicroUsd(rs.getBigDecimal(3)), rs.getLong(4)));
            }
        }
        return out;
    }

    /** Stores what {@link #add} changed. */
    public void save(Connection c) throws SQLException {
        if (!changed) return;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO license_period_figures (license_id, period, active_users, "
                + "revenue_micros, tokens) VALUES (?, ?, ?, ?, ?) ON CONFLICT (license_id, period) DO UPDATE SET "
                + "active_users = EXCLUDED.active_users, revenue_micros = EXCLUDED.revenue_micros, tokens = EXCLUDED.tokens")) {
            ps.setString(1, licenseId);
            ps.setString(2, Periods.wire(month));
            ps.setLong(3, figures.activeUsers());
            ps.setBigDecimal(4, figures.revenueMicros().micros());
            ps.setLong(5, figures.tokens());
            ps.executeUpdate();
        }
        if (!newUsers.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO license_period_users (license_id, period, user_key) "
                    + "SELECT ?, ?, unnest(?::text[])")) {
                ps.setString(1, licenseId);
                ps.setString(2, Periods.wire(month));
                List<String> users = new ArrayList<>(newUsers);
                ps.setArray(3, c.createArrayOf("text", users.toArray()));
                ps.executeUpdate();
            }
        }
    }
}
