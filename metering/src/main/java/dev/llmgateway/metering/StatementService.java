package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.Tx;
import dev.llmgateway.metering.internal.ledger.LedgerSql;
import dev.llmgateway.metering.internal.ledger.MonthFigures;
import dev.llmgateway.metering.internal.ledger.PendingTransaction;
import dev.llmgateway.metering.internal.ledger.Periods;
import dev.llmgateway.metering.internal.ledger.StatementSql;
import dev.llmgateway.metering.internal.ledger.TermsSql;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Per-author statements per period (UTC month). {@link #close} applies the whole-month threshold rule (posting
 * adjusting transactions and minimum top-ups), then freezes the period: its statements become immutable rows and
 * nothing more is posted into it; later usage of that month lands in the next open period as late usage.
 */
public final class StatementService {
    private final DataSource db;
    private final Clock clock;

    public StatementService(DataSource db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    public StatementService(DataSource db) { this(db, Clock.systemUTC()); }

    /** Outcome of closing a period, checked in this order. */
    public enum CloseResult { ALREADY_CLOSED, NOT_ENDED, CLOSED }

    /** What closing did: adjusting transactions and their net amount, minimum top-ups, and the frozen statements. */
    public record CloseReport(YearMonth period, CloseResult result, int thresholdAdjustments, MicroUsd thresholdAdjustmentMicros,
                              int minimumTopups, MicroUsd minimumTopupMicros, List<Statement> statements) {}

    /**
     * Closes a period that has ended: for each license used in it, re-evaluates every request of the month against the
     * month's final figures and posts the difference to the provisional shares, tops shares up to the minimum per
     * period, and freezes the statements. Closing a closed period changes nothing.
     */
    public CloseReport close(YearMonth period) {
        try {
            return Tx.inTransaction(db, c -> {
                LedgerSql.lock(c);
                if (LedgerSql.closedPeriods(c).contains(period)) { // changes nothing
                    return new CloseReport(period, CloseResult.ALREADY_CLOSED, 0, MicroUsd.ZERO, 0, MicroUsd.ZERO, StatementSql.closed(c, period, null));
                }
                Instant now = clock.instant();
                if (Periods.end(period).isAfter(now)) { // changes nothing
                    return new CloseReport(period, CloseResult.NOT_ENDED, 0, MicroUsd.ZERO, 0, MicroUsd.ZERO, List.of());
                }
                return closeLocked(c, period, now.truncatedTo(ChronoUnit.MICROS));
            });
        } catch (SQLException e) {
            throw new StoreException("closing period " + period, e);
        }
    }

    /** The period's statements, one per author with ledger activity in it: frozen when closed, else computed live. */
    public List<Statement> statements(YearMonth period) {
        return read(period, null);
    }

    /** One statement by id ({@code st-YYYY-MM-<author>}), with its lines. */
    public Optional<Statement> statement(String id) {
        if (id == null || !id.matches("st-[0-9]{4}-[0-9]{2}-.+")) return Optional.empty();
        YearMonth period;
        try {
            period = YearMonth.parse(id.substring(3, 10));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        return read(period, id.substring(11)).stream().findFirst();
    }

    /** Closed periods, oldest first. */
    public List<YearMonth> closedPeriods() {
        try (Connection c = db.getConnection()) {
            return LedgerSql.closedPeriods(c).stream().sorted().toList();
        } catch (SQLException e) {
            throw new StoreException("listing closed periods", e);
        }
    }

    /** CSV header of {@link #exportCsv}. */
    public static final String CSV_HEADER = "statement_id,author_id,period,status,line_no,kind,deployment,license_id,"
            + "license_version,use_class,usage_period,usage_date,requests,prompt_tokens,completion_tokens,billed_micros,"
            + "share_micros,billed_usd,share_usd";

    /**
     * Writes a statement as CSV (RFC 4180, header row, one row per line, then one {@code total} row); returns the number
     * of statement lines. {@code *_usd} columns are exact (sub-micro-dollar digits included), {@code *_micros} columns
     * are the same amounts rounded once ({@link MicroUsd#ROUNDING}); the total row rounds the exact total, so it is what
     * is owed even when it differs from the sum of the rounded lines.
     */
    public static int exportCsv(Statement s, Appendable out) {
        try {
            out.append(CSV_HEADER).append("\r\n");
            for (StatementLine l : s.lines()) {
                row(out, List.of(s.id(), s.authorId(), s.period().toString(), s.status().name().toLowerCase(),
                        Integer.toString(l.lineNo()), l.kind().wire(), l.deployment().orElse(""), l.licenseId(),
                        Integer.toString(l.licenseVersion()), l.useClass().map(UseClass::wire).orElse(""),
                        l.usagePeriod().toString(), l.usageDate().map(Object::toString).orElse(""), Long.toString(l.requests()),
                        Long.toString(l.promptTokens()), Long.toString(l.completionTokens()),
                        Long.toString(l.billedMicros().roundedMicros()), Long.toString(l.shareMicros().roundedMicros()),
                        Money.formatUsd(l.billedMicros()), Money.formatUsd(l.shareMicros())));
            }
            row(out, List.of(s.id(), s.authorId(), s.period().toString(), s.status().name().toLowerCase(), "", "total", "", "", "",
                    "", "", "", Long.toString(s.requests()), Long.toString(s.promptTokens()), Long.toString(s.completionTokens()),
                    Long.toString(s.billedMicros().roundedMicros()), Long.toString(s.shareMicros().roundedMicros()),
                    Money.formatUsd(s.billedMicros()), Money.formatUsd(s.shareMicros())));
            return s.lines().size();
        } catch (IOException e) {
            throw new UncheckedIOException("writing statement " + s.id(), e);
        }
    }

    private static void row(Appendable out, List<String> cells) throws IOException {
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) out.append(',');
            out.append(csvCell(cells.get(i)));
        }
        out.append("\r\n");
    }

    private static String csvCell(String v) { return CsvCell.of(v); }

    private List<Statement> read(YearMonth period, String authorIdOrNull) {
        try {
            return Tx.inTransaction(db, Connection.TRANSACTION_REPEATABLE_READ, c -> LedgerSql.closedPeriods(c).contains(period)
                    ? StatementSql.closed(c, period, authorIdOrNull)
                    : StatementSql.live(c, period, authorIdOrNull));
        } catch (SQLException e) {
            throw new StoreException("reading statements of " + period, e);
        }
    }

    private record LineKey(String licenseId, int version, String authorId, String deployment, UseClass useClass) {}

    private CloseReport closeLocked(Connection c, YearMonth period, Instant now) throws SQLException {
        Map<String, List<LicenseTerms>> terms = TermsSql.all(c);
        Map<String, LicensePeriodFigures> figures = MonthFigures.all(c, period);
        Map<LineKey, MicroUsd> deltas = new TreeMap<>(java.util.Comparator.comparing(LineKey::licenseId).thenComparing(LineKey::version)
                .thenComparing(LineKey::authorId).thenComparing(LineKey::deployment).thenComparing(LineKey::useClass));
        Map<String, MicroUsd> owedByLicense = new HashMap<>();
        Map<String, String> authorByLicense = new HashMap<>();
        Set<String> obligationOn = new HashSet<>();

        String sql = "SELECT t.license_id, t.license_version, t.author_id, t.deployment, t.use_class, "
                + "t.prompt_tokens + t.completion_tokens, "
                + "coalesce(sum(e.amount_micros) FILTER (WHERE e.account = 'operator:revenue' AND e.side = 'credit'), 0), "
                + "coalesce(sum(e.amount_micros) FILTER (WHERE e.account = 'author:' || t.author_id || ':payable' AND e.side = 'credit'), 0) "
                + "FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.tx_id = t.id "
                + "WHERE t.kind = 'usage' AND t.usage_period = ? AND t.period = ? "
                + "AND NOT EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.reverses_tx_id = t.id) GROUP BY t.id";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setFetchSize(10_000);
            ps.setString(1, Periods.wire(period));
            ps.setString(2, Periods.wire(period));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String licenseId = rs.getString(1);
                    int version = rs.getInt(2);
                    UseClass useClass = UseClass.fromWire(rs.getString(5));
                    LicenseConditions k = version(terms.get(licenseId), version).conditions();
                    LicensePeriodFigures f = figures.getOrDefault(licenseId, LicensePeriodFigures.ZERO);
                    MicroUsd finalShare = RevenueShare.owed(k, useClass, f, new MicroUsd(rs.getBigDecimal(7)), rs.getLong(6));
                    MicroUsd provisional = new MicroUsd(rs.getBigDecimal(8));
                    LineKey key = new LineKey(licenseId, version, rs.getString(3), rs.getString(4), useClass);
                    deltas.merge(key, finalShare.minus(provisional), MicroUsd::plus);
                    owedByLicense.merge(licenseId, finalShare, MicroUsd::plus);
                    authorByLicense.put(licenseId, rs.getString(3));
                    if (k.obligationApplies(useClass, f)) obligationOn.add(licenseId);
                }
            }
        }

        Instant start = Periods.start(period);
        List<PendingTransaction> txs = new ArrayList<>();
        MicroUsd adjustmentMicros = MicroUsd.ZERO;
        for (Map.Entry<LineKey, MicroUsd> d : deltas.entrySet()) {
            MicroUsd delta = d.getValue();
            if (delta.isZero()) continue;
            LineKey k = d.getKey();
            adjustmentMicros = adjustmentMicros.plus(delta);
            txs.add(new PendingTransaction("adjust:" + period + ":" + k.licenseId() + ":" + k.version() + ":" + k.useClass().wire()
                    + ":" + k.deployment(), "threshold_adjustment", null, null, period, period, start, null, k.useClass(),
                    k.deployment(), k.licenseId(), k.version(), k.authorId(), 0, 0, 0,
                    "whole-month threshold rule", shareEntries(k.authorId(), delta)));
        }
        int adjustments = txs.size();

        MicroUsd topupMicros = MicroUsd.ZERO;
        Instant lastInstant = Periods.end(period).minus(1, ChronoUnit.MICROS);
        for (String licenseId : owedByLicense.keySet().stream().sorted().toList()) {
            Optional<LicenseTerms> atEnd = LedgerPoster.termsAt(terms.get(licenseId), lastInstant);
            if (atEnd.isEmpty() || !obligationOn.contains(licenseId)) continue;
            MicroUsd minimum = MicroUsd.ofMicros(atEnd.get().conditions().obligation().minimumMicrosPerPeriod());
            MicroUsd owed = owedByLicense.get(licenseId);
            if (owed.compareTo(minimum) >= 0) continue;
            MicroUsd topup = minimum.minus(owed);
            topupMicros = topupMicros.plus(topup);
            String author = authorByLicense.get(licenseId);
            txs.add(new PendingTransaction("minimum:" + period + ":" + licenseId, "minimum_topup", null, null, period, period,
                    start, null, null, null, licenseId, atEnd.get().version(), author, 0, 0, 0,
                    "minimum per period", shareEntries(author, topup)));
        }
        LedgerSql.insert(c, txs);

        try (PreparedStatement ps = c.prepareStatement("INSERT INTO statement_periods (period, closed_at) VALUES (?, ?)")) {
            ps.setString(1, Periods.wire(period));
            ps.setTimestamp(2, Timestamp.from(now));
            ps.executeUpdate();
        }
        List<Statement> frozen = new ArrayList<>();
        for (Statement live : StatementSql.live(c, period, null)) {
            Statement s = StatementSql.withTotals(live.authorId(), period,
                    Statement.Status.CLOSED, Optional.of(now), live.lines());
            StatementSql.insertClosed(c, s);
            frozen.add(s);
        }
        // The period closes balanced: debits = credits over all its transactions.
        try (PreparedStatement check = c.prepareStatement("SELECT coalesce(sum(CASE e.side WHEN 'debit' THEN e.amount_micros "
                + "ELSE -e.amount_micros END), 0) FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.tx_id "
                + "WHERE t.period = ?")) {
            check.setString(1, Periods.wire(period));
            try (ResultSet rs = check.executeQuery()) {
                rs.next();
                Invariants.check(rs.getBigDecimal(1).signum() == 0, "period " + period + " balances");
            }
        }
        return new CloseReport(period, CloseResult.CLOSED, adjustments, adjustmentMicros, txs.size() - adjustments, topupMicros,
                List.copyOf(frozen));
    }

    private static List<LedgerEntry> shareEntries(String authorId, MicroUsd delta) {
        return delta.signum() > 0
                ? List.of(LedgerEntry.debit(LedgerEntry.OPERATOR_REVSHARE_EXPENSE, delta), LedgerEntry.credit(LedgerEntry.authorPayable(authorId), delta))
                : List.of(LedgerEntry.debit(LedgerEntry.authorPayable(authorId), delta.negate()), LedgerEntry.credit(LedgerEntry.OPERATOR_REVSHARE_EXPENSE, delta.negate()));
    }

    private static LicenseTerms version(List<LicenseTerms> versions, int version) {
        for (LicenseTerms t : versions) if (t.version() == version) return t;
        throw new IllegalStateException("license terms version " + version + " missing");
    }
}
