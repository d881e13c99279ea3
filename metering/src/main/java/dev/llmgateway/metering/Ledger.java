package dev.llmgateway.metering;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;

/** Reads the ledger: account balances, the trial balance, the transaction of a request. */
public final class Ledger {
    private final DataSource db;

    public Ledger(DataSource db) { this.db = db; }

    /** Sums over every entry: equal when the ledger balances. */
    public record TrialBalance(MicroUsd debitsMicros, MicroUsd creditsMicros) {
        public boolean balanced() { return debitsMicros.equals(creditsMicros); }
    }

    /** A posted transaction and its entries. Nullable: requestId. */
    public record Transaction(long id, String kind, String requestId, String period, List<LedgerEntry> entries) {}

    /** Balance of each account, debits minus credits (receivables and expenses positive, revenue and payables negative). */
    public Map<String, MicroUsd> balances() {
        String sql = "SELECT account, sum(CASE side WHEN 'debit' THEN amount_micros ELSE -amount_micros END) "
                + "FROM ledger_entries GROUP BY account ORDER BY account";
        Map<String, MicroUsd> out = new TreeMap<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) out.put(rs.getString(1), new MicroUsd(rs.getBigDecimal(2)));
            return out;
        } catch (SQLException e) {
            throw new StoreException("reading ledger balances", e);
        }
    }

    public TrialBalance trialBalance() {
        String sql = "SELECT coalesce(sum(amount_micros) FILTER (WHERE side = 'debit'), 0), "
                + "coalesce(sum(amount_micros) FILTER (WHERE side = 'credit'), 0) FROM ledger_entries";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new TrialBalance(new MicroUsd(rs.getBigDecimal(1)), new MicroUsd(rs.getBigDecimal(2)));
        } catch (SQLException e) {
            throw new StoreException("reading the trial balance", e);
        }
    }

    /** The usage transaction posted for a request, if any. */
    public Optional<Transaction> forRequest(String requestId) {
        String sql = "SELECT t.id, t.kind, t.request_id, t.period, e.account, e.side, e.amount_micros FROM ledger_transactions t "
                + "LEFT JOIN ledger_entries e ON e.tx_id = t.id WHERE t.request_id = ? ORDER BY e.id";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                Transaction t = null;
                List<LedgerEntry> entries = new java.util.ArrayList<>();
                while (rs.next()) {
                    if (t == null) t = new Transaction(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), entries);
                    if (rs.getString(5) != null) {
                        entries.add(new LedgerEntry(rs.getString(5), LedgerEntry.Side.fromWire(rs.getString(6)), new MicroUsd(rs.getBigDecimal(7))));
                    }
                }
                return t == null ? Optional.empty()
                        : Optional.of(new Transaction(t.id(), t.kind(), t.requestId(), t.period(), List.copyOf(entries)));
            }
        } catch (SQLException e) {
            throw new StoreException("reading the ledger transaction of request " + requestId, e);
        }
    }
}
