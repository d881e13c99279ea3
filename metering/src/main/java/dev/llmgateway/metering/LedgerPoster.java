package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.Tx;
import dev.llmgateway.metering.internal.ledger.LedgerSql;
import dev.llmgateway.metering.internal.ledger.MonthFigures;
import dev.llmgateway.metering.internal.ledger.PendingTransaction;
import dev.llmgateway.metering.internal.ledger.Periods;
import dev.llmgateway.metering.internal.ledger.TermsSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Posts metered usage into the ledger: for each non-shadow request on an open deployment with a license, one balanced
 * transaction (team receivable / operator revenue for the team charge; revenue-share expense / author payable for the
 * provisional share), at most once per request id. Thread-safe; posting and closing are serialized in PostgreSQL, so
 * it may run on the usage writer's thread, a separate thread, or several replicas.
 */
public final class LedgerPoster {
    /** Events per database transaction in {@link #postPending()}. */
    public static final int PENDING_BATCH = 2000;

    private final DataSource db;
    private final DeadLetters deadLetters;
    private final java.util.concurrent.atomic.AtomicLong deadLettered = new java.util.concurrent.atomic.AtomicLong();
    /** Requests whose dead letter went to the file (PostgreSQL refused the row): not retried by this process. */
    private final Set<String> setAsideInFile = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public LedgerPoster(DataSource db) { this(db, null); }

    /**
     * With {@code deadLetters}, {@link #postPending()} sets a request PostgreSQL refuses to post aside as a dead letter
     * (found by bisecting its batch) and posts the others; without, the refusal propagates.
     */
    public LedgerPoster(DataSource db, DeadLetters deadLetters) {
        this.db = db;
        this.deadLetters = deadLetters;
    }

    /** Requests set aside as ledger dead letters by this poster since start. */
    public long deadLettered() { return deadLettered.get(); }

    /** Why an eligible request was not posted (it stays pending and is retried by {@link #postPending()}). */
    public enum Reason { UNKNOWN_LICENSE, NO_TERMS_IN_FORCE, UNKNOWN_TEAM }

    /** A request that should be posted but could not be yet. */
    public record Unposted(String requestId, Reason reason) {}

    /**
     * What a call did: transactions posted, requests already in the ledger (replays), events that owe nothing to the
     * ledger (shadow, closed deployment or no license), and eligible requests that could not be posted.
     */
    public record PostReport(int posted, int alreadyPosted, int notBillable, List<Unposted> unposted) {
        public static final PostReport EMPTY = new PostReport(0, 0, 0, List.of());

        PostReport plus(PostReport o) {
            List<Unposted> u = new ArrayList<>(unposted);
            u.addAll(o.unposted);
            return new PostReport(posted + o.posted, alreadyPosted + o.alreadyPosted, notBillable + o.notBillable, List.copyOf(u));
        }
    }

    /** True when the ledger must carry this event: metered, not shadow, on an open deployment, under a license. */
    public static boolean billable(UsageEvent e) {
        return !e.shadow() && e.deploymentClass() == DeploymentClass.OPEN && e.licenseId() != null;
    }

    /**
     * Posts a batch, in one database transaction, in order of (time, request id). Idempotent: a request id already in
     * the ledger (or repeated in the batch) posts nothing.
     */
    public PostReport post(List<UsageEvent> events) {
        Map<String, UsageEvent> unique = new LinkedHashMap<>();
        int notBillable = 0;
        int repeats = 0;
        for (UsageEvent e : events) {
            if (!billable(e)) notBillable++;
            else if (unique.putIfAbsent(e.requestId(), e) != null) repeats++;
        }
        if (unique.isEmpty()) return new PostReport(0, repeats, notBillable, List.of());
        List<UsageEvent> ordered = new ArrayList<>(unique.values());
        ordered.sort(Comparator.comparing(UsageEvent::time).thenComparing(UsageEvent::requestId));
        try {
            PostReport r = Tx.inTransaction(db, c -> post(c, ordered));
            return new PostReport(r.posted, r.alreadyPosted + repeats, notBillable, r.unposted);
        } catch (SQLException e) {
            throw new StoreException("posting " + ordered.size() + " usage events to the ledger", e);
        }
    }

    /**
     * Posts every stored billable usage event that is not in the ledger yet (heals a crash between storing usage and
     * posting it), oldest first, in batches of {@link #PENDING_BATCH}.
     */
    public PostReport postPending() {
        return postPending(Instant.EPOCH);
    }

    /**
     * {@link #postPending()} limited to usage whose time is at or after {@code fromTime}: a cheap periodic catch-up
     * (e.g. from the start of the previous month), with the full scan at startup.
     */
    public PostReport postPending(Instant fromTime) {
        return postPending(fromTime, null);
    }

    /**
     * {@link #postPending()} limited to usage rows stored in PostgreSQL at or after {@code storedSince}, whatever their
     * usage time: complete when called with the start of the previous pass (minus a margin for transactions still
     * open then), and cheap when nothing is pending (an index on the billable rows' storage time).
     */
    public PostReport postPendingStoredSince(Instant storedSince) {
        return postPending(Instant.EPOCH, storedSince);
    }

    private PostReport postPending(Instant fromTime, Instant storedSince) {
        PostReport total = PostReport.EMPTY;
        Instant afterTime = null;
        String afterId = null;
        while (true) {
            List<UsageEvent> batch = pending(fromTime, storedSince, afterTime, afterId);
            if (batch.isEmpty()) return total;
            List<UsageEvent> toPost = setAsideInFile.isEmpty() ? batch
                    : batch.stream().filter(e -> !setAsideInFile.contains(e.requestId())).toList();
            if (!toPost.isEmpty()) total = total.plus(postIsolating(toPost));
            UsageEvent last = batch.getLast();
            afterTime = last.time();
            afterId = last.requestId();
            if (batch.size() < PENDING_BATCH) return total;
        }
    }

    /** {@link #post}, bisecting a batch PostgreSQL refuses for a reason in the data down to the refused requests. */
    private PostReport postIsolating(List<UsageEvent> events) {
        try {
            return post(events);
        } catch (StoreException e) {
            if (deadLetters == null || DatabaseFailures.isTransient(e) || !(e.getCause() instanceof SQLException cause)) throw e;
            if (events.size() == 1) {
                try (Connection c = db.getConnection()) {
                    if (deadLetters.record(c, DeadLetters.Kind.LEDGER, events.getFirst(), cause) == DeadLetters.Placement.FILE) {
                        setAsideInFile.add(events.getFirst().requestId());
                    }
                } catch (SQLException | java.io.IOException f) {
                    throw new StoreException("setting aside the ledger posting of " + events.getFirst().requestId(), f);
                }
                deadLettered.incrementAndGet();
                return PostReport.EMPTY;
            }
            int half = events.size() / 2;
            return postIsolating(events.subList(0, half)).plus(postIsolating(events.subList(half, events.size())));
        }
    }

    /**
     * Posts a transaction mirroring {@code transactionId}'s entries (a correction; the ledger is never updated), into the
     * original's period or, when that is closed, the next open one. Returns the reversal's id; reversing twice is refused.
     */
    public long reverse(long transactionId, String reason) {
        try {
            return Tx.inTransaction(db, c -> {
                LedgerSql.lock(c);
                PendingTransaction reversal = reversalOf(c, transactionId, reason);
                return LedgerSql.insert(c, List.of(reversal))[0];
            });
        } catch (SQLException e) {
            throw new StoreException("reversing ledger transaction " + transactionId, e);
        }
    }

    private static PendingTransaction reversalOf(Connection c, long txId, String reason) throws SQLException {
        String sql = "SELECT kind, period, usage_period, usage_time, team_id, use_class, deployment, license_id, license_version, "
                + "author_id, prompt_tokens, completion_tokens, requests, "
                + "EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.reverses_tx_id = t.id) FROM ledger_transactions t WHERE id = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, txId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) throw new IllegalArgumentException("no ledger transaction " + txId);
                if (rs.getString(1).equals("reversal")) throw new IllegalArgumentException("transaction " + txId + " is a reversal");
                if (rs.getBoolean(14)) throw new IllegalArgumentException("transaction " + txId + " is already reversed");
                YearMonth period = Periods.postingPeriod(YearMonth.parse(rs.getString(2)), LedgerSql.closedPeriods(c));
                String useClass = rs.getString(6);
                List<LedgerEntry> mirrored = new ArrayList<>();
                try (PreparedStatement es = c.prepareStatement("SELECT account, side, amount_micros FROM ledger_entries WHERE tx_id = ? ORDER BY id")) {
                    es.setLong(1, txId);
                    try (ResultSet e = es.executeQuery()) {
                        while (e.next()) {
                            mirrored.add(new LedgerEntry(e.getString(1), LedgerEntry.Side.fromWire(e.getString(2)).opposite(), new MicroUsd(e.getBigDecimal(3))));
                        }
                    }
                }
                return new PendingTransaction("reversal:" + txId, "reversal", null, txId, period,
                        YearMonth.parse(rs.getString(3)), rs.getTimestamp(4).toInstant(), rs.getString(5),
                        useClass == null ? null : UseClass.fromWire(useClass), rs.getString(7), rs.getString(8), rs.getInt(9),
                        rs.getString(10), -rs.getLong(11), -rs.getLong(12), -rs.getInt(13), reason == null ? "" : reason, mirrored);
            }
        }
    }

    private PostReport post(Connection c, List<UsageEvent> ordered) throws SQLException {
        LedgerSql.lock(c);
        Set<String> already = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT request_id FROM ledger_transactions WHERE request_id = ANY(?)")) {
            ps.setArray(1, c.createArrayOf("text", ordered.stream().map(UsageEvent::requestId).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) already.add(rs.getString(1));
            }
        }
        List<UsageEvent> fresh = ordered.stream().filter(e -> !already.contains(e.requestId())).toList();
        if (fresh.isEmpty()) return new PostReport(0, already.size(), 0, List.of());

        Set<YearMonth> closed = LedgerSql.closedPeriods(c);
        Map<String, String> authorOf = licenseAuthors(c, fresh);
        Map<String, List<LicenseTerms>> terms = TermsSql.all(c);
        Map<String, UseClass> useClassOf = teamUseClasses(c, fresh);

        Map<String, Map<YearMonth, List<String>>> usersByMonth = new HashMap<>();
        for (UsageEvent e : fresh) {
            usersByMonth.computeIfAbsent(e.licenseId(), k -> new HashMap<>())
                    .computeIfAbsent(Periods.of(e.time()), k -> new ArrayList<>())
                    .add(MonthFigures.userKey(e.teamId(), e.endUser()));
        }
        Map<String, MonthFigures> figures = new HashMap<>();
        List<PendingTransaction> txs = new ArrayList<>();
        List<Unposted> unposted = new ArrayList<>();
        for (UsageEvent e : fresh) {
            String authorId = authorOf.get(e.licenseId());
            Optional<LicenseTerms> inForce = termsAt(terms.get(e.licenseId()), e.time());
            UseClass useClass = useClassOf.get(e.teamId());
            if (authorId == null) { unposted.add(new Unposted(e.requestId(), Reason.UNKNOWN_LICENSE)); continue; }
            if (inForce.isEmpty()) { unposted.add(new Unposted(e.requestId(), Reason.NO_TERMS_IN_FORCE)); continue; }
            if (useClass == null) { unposted.add(new Unposted(e.requestId(), Reason.UNKNOWN_TEAM)); continue; }

            YearMonth usageMonth = Periods.of(e.time());
            YearMonth period = Periods.postingPeriod(usageMonth, closed);
            MonthFigures month = figures.get(e.licenseId() + "\n" + usageMonth);
            if (month == null) {
                month = MonthFigures.load(c, e.licenseId(), usageMonth, usersByMonth.get(e.licenseId()).get(usageMonth));
                figures.put(e.licenseId() + "\n" + usageMonth, month);
            }
            long tokens = Math.addExact(e.promptTokens(), e.completionTokens());
            // A closed month's figures are frozen: late usage is judged by the figures the month closed with.
            LicensePeriodFigures known = period.equals(usageMonth)
                    ? month.add(MonthFigures.userKey(e.teamId(), e.endUser()), e.teamChargeMicros(), tokens)
                    : month.figures();
            MicroUsd share = RevenueShare.owed(inForce.get().conditions(), useClass, known, e.teamChargeMicros(), tokens);
            txs.add(usageTransaction(e, period, usageMonth, useClass, inForce.get(), authorId, share));
        }
        LedgerSql.insert(c, txs);
        for (MonthFigures m : figures.values()) m.save(c);
        return new PostReport(txs.size(), already.size(), 0, List.copyOf(unposted));
    }

    private static PendingTransaction usageTransaction(UsageEvent e, YearMonth period, YearMonth usageMonth, UseClass useClass,
                                                       LicenseTerms terms, String authorId, MicroUsd shareMicros) {
        List<LedgerEntry> entries = new ArrayList<>(4);
        if (e.teamChargeMicros().signum() > 0) {
            entries.add(LedgerEntry.debit(LedgerEntry.teamReceivable(e.teamId()), e.teamChargeMicros()));
            entries.add(LedgerEntry.credit(LedgerEntry.OPERATOR_REVENUE, e.teamChargeMicros()));
        }
        if (shareMicros.signum() > 0) {
            entries.add(LedgerEntry.debit(LedgerEntry.OPERATOR_REVSHARE_EXPENSE, shareMicros));
            entries.add(LedgerEntry.credit(LedgerEntry.authorPayable(authorId), shareMicros));
        }
        return new PendingTransaction("usage:" + e.requestId(), "usage", e.requestId(), null, period, usageMonth, e.time(),
                e.teamId(), useClass, e.deployment(), terms.licenseId(), terms.version(), authorId, e.promptTokens(),
                e.completionTokens(), 1, "", entries);
    }

    static Optional<LicenseTerms> termsAt(List<LicenseTerms> versionsOldestFirst, Instant at) {
        if (versionsOldestFirst == null) return Optional.empty();
        LicenseTerms found = null;
        for (LicenseTerms t : versionsOldestFirst) {
            if (!t.effectiveFrom().isAfter(at)) found = t;
        }
        return Optional.ofNullable(found);
    }

    private static Map<String, String> licenseAuthors(Connection c, List<UsageEvent> events) throws SQLException {
        Map<String, String> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, author_id FROM licenses WHERE id = ANY(?)")) {
            ps.setArray(1, c.createArrayOf("text", events.stream().map(UsageEvent::licenseId).distinct().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.put(rs.getString(1), rs.getString(2));
            }
        }
        return out;
    }

    private static Map<String, UseClass> teamUseClasses(Connection c, List<UsageEvent> events) throws SQLException {
        Map<String, UseClass> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, use_class FROM teams WHERE id = ANY(?)")) {
            ps.setArray(1, c.createArrayOf("text", events.stream().map(UsageEvent::teamId).distinct().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.put(rs.getString(1), UseClass.fromWire(rs.getString(2)));
            }
        }
        return out;
    }

    /** Billable stored usage not in the ledger, from {@code fromTime}, after the key (time, request id) when given. */
    private List<UsageEvent> pending(Instant fromTime, Instant storedSince, Instant afterTime, String afterId) {
        String sql = "SELECT request_id, time, team_id, end_user, route, deployment, prompt_tokens, completion_tokens, "
                + "cached_tokens, team_charge_micros, license_id FROM usage_events u "
                + "WHERE NOT shadow AND deployment_class = 'open' AND license_id IS NOT NULL AND time >= ? "
                + "AND (?::timestamptz IS NULL OR stored_at >= ?::timestamptz) "
                + "AND (?::timestamptz IS NULL OR (time, request_id) > (?::timestamptz, ?::text)) "
                + "AND NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.request_id = u.request_id) "
                + "AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.kind = 'ledger' AND d.request_id = u.request_id "
                + "AND d.status IN ('open', 'discarded')) "
                + "ORDER BY time, request_id LIMIT " + PENDING_BATCH;
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            Timestamp after = afterTime == null ? null : Timestamp.from(afterTime);
            Timestamp stored = storedSince == null ? null : Timestamp.from(storedSince);
            ps.setTimestamp(1, Timestamp.from(fromTime));
            ps.setTimestamp(2, stored);
            ps.setTimestamp(3, stored);
            ps.setTimestamp(4, after);
            ps.setTimestamp(5, after);
            ps.setString(6, afterId);
            try (ResultSet rs = ps.executeQuery()) {
                List<UsageEvent> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(UsageEvent.builder(rs.getString(1), rs.getTimestamp(2).toInstant())
                            .team(rs.getString(3), null)
                            .endUser(rs.getString(4))
                            .route(rs.getString(5), null, null)
                            .deployment(rs.getString(6), null, null, DeploymentClass.OPEN)
                            .tokens(rs.getLong(7), rs.getLong(8), rs.getLong(9))
                            .money(MicroUsd.ZERO, new MicroUsd(rs.getBigDecimal(10)), null)
                            .licenseId(rs.getString(11))
                            .build());
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading usage not yet in the ledger", e);
        }
    }
}
