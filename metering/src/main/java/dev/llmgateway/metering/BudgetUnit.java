package dev.llmgateway.metering;

/** The two things a budget can limit. */
public enum BudgetUnit {
    MICROS_USD("micros_usd"), TOKENS("tokens");

    private final String wire;

    BudgetUnit(String wire) { this.wire = wire; }

    public String wire() { return wire; }

    public static BudgetUnit fromWire(String s) {
        for (BudgetUnit u : values()) if (u.wire.equals(s)) return u;
        throw new IllegalArgumentException("unknown budget unit '" + s + "'");
    }
}
