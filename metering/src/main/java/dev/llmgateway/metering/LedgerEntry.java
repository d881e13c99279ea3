package dev.llmgateway.metering;

import java.util.Objects;

/** One side of a ledger transaction: {@code amountMicros} (> 0, exact micro-USD) debited or credited to an account. */
public record LedgerEntry(String account, Side side, MicroUsd amountMicros) {
    /** Debit or credit. */
    public enum Side {
        DEBIT("debit"), CREDIT("credit");

        private final String wire;

        Side(String wire) { this.wire = wire; }

        public String wire() { return wire; }

        public static Side fromWire(String s) { return s.equals("debit") ? DEBIT : CREDIT; }

        public Side opposite() { return this == DEBIT ? CREDIT : DEBIT; }
    }

    public LedgerEntry {
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(side, "side");
        Objects.requireNonNull(amountMicros, "amountMicros");
        if (amountMicros.signum() <= 0) throw new IllegalArgumentException("entry amount must be positive: " + amountMicros);
    }

    public static LedgerEntry debit(String account, MicroUsd micros) { return new LedgerEntry(account, Side.DEBIT, micros); }

    public static LedgerEntry credit(String account, MicroUsd micros) { return new LedgerEntry(account, Side.CREDIT, micros); }

    public static LedgerEntry debit(String account, long micros) { return debit(account, MicroUsd.ofMicros(micros)); }

    public static LedgerEntry credit(String account, long micros) { return credit(account, MicroUsd.ofMicros(micros)); }

    /** The team's receivable: what the team owes the operator. */
    public static String teamReceivable(String teamId) { return "team:" + teamId + ":receivable"; }

    /** What the operator earned from teams for licensed open models. */
    public static final String OPERATOR_REVENUE = "operator:revenue";

    /** What the operator spends on revenue shares owed to authors. */
    public static final String OPERATOR_REVSHARE_EXPENSE = "operator:revshare_expense";

    /** What the operator owes an author. */
    public static String authorPayable(String authorId) { return "author:" + authorId + ":payable"; }
}
