package dev.llmgateway.metering;

/** What happens when a request would exceed a budget. */
public enum BudgetEnforcement {
    /** Reject the request (HTTP 429); spend never exceeds the limit when reservations cover the worst case. */
    HARD("hard"),
    /** Admit the request but flag it, so the gateway can alert or downgrade the route to a cheaper model. */
    SOFT("soft");

    private final String wire;

    BudgetEnforcement(String wire) { this.wire = wire; }

    public String wire() { return wire; }

    public static BudgetEnforcement fromWire(String s) {
        for (BudgetEnforcement e : values()) if (e.wire.equalsIgnoreCase(s)) return e;
        throw new IllegalArgumentException("unknown enforcement '" + s + "' (expected hard or soft)");
    }
}
