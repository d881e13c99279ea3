package dev.llmgateway.metering.internal.ledger;

import dev.llmgateway.metering.MicroUsd;
import dev.llmgateway.metering.Statement;
import dev.llmgateway.metering.StatementLine;
import dev.llmgateway.metering.UseClass;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Computes statements from the ledger, and stores and reads frozen ones. */
public final class StatementSql {
    /** Statement lines of a period, aggregated from ledger transactions; money per transaction comes from its entries. */
    private static final String LIVE_LINES = "SELECT t.author_id, "
            + "CASE WHEN t.kind = 'usage' AND t.usage_period <> t.period THEN 'late_usage' ELSE t.kind END AS k, "
            + "t.deployment, t.license_id, t.license_version, t.use_class, t.usage_period, "
            + "CASE WHEN t.usage_period <> t.period THEN (t.usage_time AT TIME ZONE 'UTC')::date END AS d, "
            + "sum(t.requests), sum(t.prompt_tokens), sum(t.completion_tokens), sum(m.billed), sum(m.share) "
            + "FROM ledger_transactions t CROSS JOIN LATERAL (SELECT "
            + "coalesce(sum(CASE WHEN e.account = 'operator:revenue' THEN CASE e.side WHEN 'credit' THEN e.amount_micros ELSE -e.amount_micros END END), 0) AS billed, "
            + "coalesce(sum(CASE WHEN e.account = 'author:' || t.author_id || ':payable' THEN CASE e.side WHEN 'credit' THEN e.amount_micros ELSE -e.amount_micros END END), 0) AS share "
            + "FROM ledger_entries e WHERE e.tx_id = t.id) m "
            + "WHERE t.period = ? AND (?::text IS NULL OR t.author_id = ?) "
            + "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 "
            + "ORDER BY 1, 7, 8 NULLS FIRST, 4, 5, 3 NULLS LAST, 6 NULLS LAST, 2";

    private StatementSql() {}

    /** The period's statements as the ledger stands (status OPEN), optionally for one author. */
    public static List<Statement> live(Connection c, YearMonth period, String authorIdOrNull) throws SQLException {
        Map<String, List<StatementLine>> byAuthor = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(LIVE_LINES)) {
            ps.setString(1, Periods.wire(period));
            ps.setString(2, authorIdOrNull);
            ps.setString(3, authorIdOrNull);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<StatementLine> lines = byAuthor.computeIfAbsent(rs.getString(1), k -> new ArrayList<>());
                    LocalDate d = rs.getObject(8, LocalDate.class);
                    String useClass = rs.getString(6);
                    lines.add(new StatementLine(lines.size() + 1, StatementLine.Kind.fromWire(rs.getString(2)),
                            Optional.ofNullable(rs.getString(3)), rs.getString(4), rs.getInt(5),
                            Optional.ofNullable(useClass).map(UseClass::fromWire), YearMonth.parse(rs.getString(7)),
                            Optional.ofNullable(d), rs.getLong(9), rs.getLong(10), rs.getLong(11),
                            new MicroUsd(rs.getBigDecimal(12)), new MicroUsd(rs.getBigDecimal(13))));
                }
            }
        }
        List<Statement> out = new ArrayList<>();
        byAuthor.forEach((author, lines) -> out.add(withTotals(author, period, Statement.Status.OPEN, Optional.empty(), lines)));
        return out;
    }

    public static Statement withTotals(String authorId, YearMonth period, Statement.Status status, Optional<Instant> closedAt,
                                       List<StatementLine> lines) {
        long requests = 0, prompt = 0, completion = 0;
        MicroUsd billed = MicroUsd.ZERO, share = MicroUsd.ZERO;
        for (StatementLine l : lines) {
            requests = Math.addExact(requests, l.requests());
            prompt = Math.addExact(prompt, l.promptTokens());
            completion = Math.addExact(completion, l.completionTokens());
            billed = billed.plus(l.billedMicros());
            share = share.plus(l.shareMicros());
        }
        return new Statement(Statement.idOf(authorId, period), authorId, period, status, closedAt, requests, prompt, completion,
                billed, share, lines);
    }

    /** Stores a frozen statement and its lines. */
    public static void insertClosed(Connection c, Statement s) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO statements (id, author_id, period, requests, prompt_tokens, "
                + "completion_tokens, billed_micros, share_micros, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, s.id());
            ps.setString(2, s.authorId());
            ps.setString(3, Periods.wire(s.period()));
            ps.setLong(4, s.requests());
            ps.setLong(5, s.promptTokens());
            ps.setLong(6, s.completionTokens());
            ps.setBigDecimal(7, s.billedMicros().micros());
            ps.setBigDecimal(8, s.shareMicros().micros());
            ps.setTimestamp(9, Timestamp.from(s.closedAt().orElseThrow()));
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO statement_lines (statement_id, line_no, kind, deployment, "
                + "license_id, license_version, use_class, usage_period, usage_date, requests, prompt_tokens, completion_tokens, "
                + "billed_micros, share_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (StatementLine l : s.lines()) {
                ps.setString(1, s.id());
                ps.setInt(2, l.lineNo());
                ps.setString(3, l.kind().wire());
                ps.setString(4, l.deployment().orElse(null));
                ps.setString(5, l.licenseId());
                ps.setInt(6, l.licenseVersion());
                ps.setString(7, l.useClass().map(UseClass::wire).orElse(null));
                ps.setString(8, Periods.wire(l.usagePeriod()));
                if (l.usageDate().isPresent()) ps.setObject(9, l.usageDate().get());
                else ps.setNull(9, Types.DATE);
                ps.setLong(10, l.requests());
                ps.setLong(11, l.promptTokens());
                ps.setLong(12, l.completionTokens());
                ps.setBigDecimal(13, l.billedMicros().micros());
                ps.setBigDecimal(14, l.shareMicros().micros());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Frozen statements of a closed period, optionally one author's. */
    public static List<Statement> closed(Connection c, YearMonth period, String authorIdOrNull) throws SQLException {
        List<Statement> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, author_id, closed_at FROM statements WHERE period = ? "
                + "AND (?::text IS NULL OR author_id = ?) ORDER BY author_id")) {
            ps.setString(1, Periods.wire(period));
            ps.setString(2, authorIdOrNull);
            ps.setString(3, authorIdOrNull);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<StatementLine> lines = closedLines(c, rs.getString(1));
                    Statement s = withTotals(rs.getString(2), period, Statement.Status.CLOSED,
                            Optional.of(rs.getTimestamp(3).toInstant()), lines);
                    out.add(s);
                }
            }
        }
        return out;
    }

    private static List<StatementLine> closedLines(Connection c, String statementId) throws SQLException {
        List<StatementLine> lines = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT line_no, kind, deployment, license_id, license_version, use_class, "
                + "usage_period, usage_date, requests, prompt_tokens, completion_tokens, billed_micros, share_micros "
                + "FROM statement_lines WHERE statement_id = ? ORDER BY line_no")) {
            ps.setString(1, statementId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    LocalDate d = rs.getObject(8, LocalDate.class);
                    String useClass = rs.getString(6);
                    lines.add(new StatementLine(rs.getInt(1), StatementLine.Kind.fromWire(rs.getString(2)),
                            Optional.ofNullable(rs.getString(3)), rs.getString(4), rs.getInt(5),
                            Optional.ofNullable(useClass).map(UseClass::fromWire), YearMonth.parse(rs.getString(7)),
                            Optional.ofNullable(d), rs.getLong(9), rs.getLong(10), rs.getLong(11),
                            new MicroUsd(rs.getBigDecimal(12)), new MicroUsd(rs.getBigDecimal(13))));
                }
            }
        }
        return lines;
    }
}
