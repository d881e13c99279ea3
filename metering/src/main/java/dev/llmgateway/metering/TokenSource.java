package dev.llmgateway.metering;

/** How a usage record's token counts were obtained. */
public enum TokenSource {
    /** Reported by the provider in its usage block (what it bills us for). */
    PROVIDER("provider"),
    /** Counted by the embedded engine's own tokenizer, exact for what it processed and generated. */
    ENGINE("engine"),
    /** Estimated by the gateway (the provider reported no usage, e.g. a stream cut before its usage chunk). */
    ESTIMATED("estimated"),
    /** Stored before the source was recorded (usage older than migration V8). Never written by the gateway. */
    UNRECORDED("unrecorded");

    private final String wire;

    TokenSource(String wire) { this.wire = wire; }

    /** The lower-case name used in SQL, the API and exports. */
    public String wire() { return wire; }

    public static TokenSource fromWire(String s) {
        for (TokenSource t : values()) if (t.wire.equals(s)) return t;
        throw new IllegalArgumentException("unknown token source '" + s + "' (expected provider, engine, estimated or unrecorded)");
    }
}
