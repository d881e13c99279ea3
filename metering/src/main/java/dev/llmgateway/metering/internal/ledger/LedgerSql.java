package dev.llmgateway.metering.internal.ledger;

import dev.llmgateway.metering.LedgerEntry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.YearMonth;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Inserts ledger transactions and their entries in JDBC batches (ids drawn from the sequence first). */
public final class LedgerSql {
    /** Serializes posting and closing across threads and replicas (a transaction-scoped advisory lock). */
    public static final String LOCK = "SELECT pg_advisory_xact_lock(hashtext('ledger'))";

    private LedgerSql() {}

    public static void lock(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(LOCK);
        }
    }

    public static Set<YearMonth> closedPeriods(Connection c) throws SQLException {
        Set<YearMonth> out = new HashSet<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT period FROM statement_periods")) {
            while (rs.next()) out.add(YearMonth.parse(rs.getString(1)));
        }
        return out;
    }

    /** Inserts the transactions; returns their ids in order. */
    public static long[] insert(Connection c, List<PendingTransaction> txs) throws SQLException {
        long[] ids = new long[txs.size()];
        if (txs.isEmpty()) return ids;
        try (PreparedStatement ps = c.prepareStatement("SELECT nextval('ledger_transactions_id_seq') FROM generate_series(1, ?)")) {
            ps.setInt(1, txs.size());
            try (ResultSet rs = ps.executeQuery()) {
                for (int i = 0; i < ids.length; i++) {
                    rs.next();
                    ids[i] = rs.getLong(1);
                }
            }
        }
        String txSql = "INSERT INTO ledger_transactions (id, idempotency_key, kind, request_id, reverses_tx_id, period, "
                + "usage_period, usage_time, team_id, use_class, deployment, license_id, license_version, author_id, "
                + "prompt_tokens, completion_tokens, requests, memo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        String entrySql = "INSERT INTO ledger_entries (tx_id, account, side, amount_micros) VALUES (?, ?, ?, ?)";
        try (PreparedStatement tx = c.prepareStatement(txSql); PreparedStatement en = c.prepareStatement(entrySql)) {
            boolean anyEntry = false;
            for (int i = 0; i < ids.length; i++) {
                PendingTransaction t = txs.get(i);
                tx.setLong(1, ids[i]);
                tx.setString(2, t.idempotencyKey());
                tx.setString(3, t.kind());
                tx.setString(4, t.requestId());
                if (t.reversesTxId() == null) tx.setNull(5, Types.BIGINT);
                else tx.setLong(5, t.reversesTxId());
                tx.setString(6, Periods.wire(t.period()));
                tx.setString(7, Periods.wire(t.usagePeriod()));
                tx.setTimestamp(8, Timestamp.from(t.usageTime()));
                tx.setString(9, t.teamId());
                tx.setString(10, t.useClass() == null ? null : t.useClass().wire());
                tx.setString(11, t.deployment());
                tx.setString(12, t.licenseId());
                tx.setInt(13, t.licenseVersion());
                tx.setString(14, t.authorId());
                tx.setLong(15, t.promptTokens());
                tx.setLong(16, t.completionTokens());
                tx.setInt(17, t.requests());
                tx.setString(18, t.memo());
                tx.addBatch();
                for (LedgerEntry e : t.entries()) {
                    en.setLong(1, ids[i]);
                    en.setString(2, e.account());
                    en.setString(3, e.side().wire());
                    en.setBigDecimal(4, e.amountMicros().micros());
                    en.addBatch();
                    anyEntry = true;
                }
            }
            tx.executeBatch();
            if (anyEntry) en.executeBatch();
        }
        return ids;
    }
}
