package dev.llmgateway.metering.internal.ledger;

import dev.llmgateway.metering.Attribution;
import dev.llmgateway.metering.LicenseConditions;
import dev.llmgateway.metering.LicenseObligation;
import dev.llmgateway.metering.LicenseTerms;
import dev.llmgateway.metering.LicenseThresholds;
import dev.llmgateway.metering.UseClass;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** Reads and writes {@code license_terms} rows. */
public final class TermsSql {
    public static final String COLUMNS = "license_id, version, effective_from, free_use_classes, active_users_over, "
            + "revenue_micros_over, tokens_over, revenue_share_bp, royalty_micros_per_mtok, minimum_micros_per_period, "
            + "attribution_text, attribution_above_thresholds_only";

    private TermsSql() {}

    public static LicenseTerms read(ResultSet rs) throws SQLException {
        Array a = rs.getArray(4);
        List<String> free = Arrays.asList((String[]) a.getArray());
        LicenseThresholds thresholds = new LicenseThresholds(optional(rs, 5), optional(rs, 6), optional(rs, 7));
        LicenseObligation obligation = new LicenseObligation(rs.getInt(8), rs.getLong(9), rs.getLong(10));
        Attribution attribution = new Attribution(rs.getString(11), rs.getBoolean(12));
        return new LicenseTerms(rs.getString(1), rs.getInt(2), rs.getTimestamp(3).toInstant(),
                new LicenseConditions(LicenseConditions.useClasses(free), thresholds, obligation, attribution));
    }

    private static OptionalLong optional(ResultSet rs, int col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(v);
    }

    public static void insert(Connection c, LicenseTerms t) throws SQLException {
        String sql = "INSERT INTO license_terms (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        LicenseConditions k = t.conditions();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, t.licenseId());
            ps.setInt(2, t.version());
            ps.setTimestamp(3, java.sql.Timestamp.from(t.effectiveFrom()));
            ps.setArray(4, c.createArrayOf("text", k.freeUseClasses().stream().sorted().map(UseClass::wire).toArray()));
            setOptional(ps, 5, k.thresholds().activeUsersOver());
            setOptional(ps, 6, k.thresholds().revenueMicrosOver());
            setOptional(ps, 7, k.thresholds().tokensOver());
            ps.setInt(8, k.obligation().revenueShareBp());
            ps.setLong(9, k.obligation().royaltyMicrosPerMTok());
            ps.setLong(10, k.obligation().minimumMicrosPerPeriod());
            ps.setString(11, k.attribution().text());
            ps.setBoolean(12, k.attribution().aboveThresholdsOnly());
            ps.executeUpdate();
        }
    }

    private static void setOptional(PreparedStatement ps, int i, OptionalLong v) throws SQLException {
        if (v.isPresent()) ps.setLong(i, v.getAsLong());
        else ps.setNull(i, Types.BIGINT);
    }

    /** Every version of every license, keyed by license id, oldest first. */
    public static Map<String, List<LicenseTerms>> all(Connection c) throws SQLException {
        Map<String, List<LicenseTerms>> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM license_terms ORDER BY license_id, effective_from");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                LicenseTerms t = read(rs);
                out.computeIfAbsent(t.licenseId(), k -> new ArrayList<>()).add(t);
            }
        }
        return out;
    }
}
