package dev.llmgateway.metering;

/** What a team uses models for; license terms are evaluated against it. */
public enum UseClass {
    COMMERCIAL("commercial"), INDIVIDUAL("individual"), NON_COMMERCIAL("non-commercial"), RESEARCH("research");

    private final String wire;

    UseClass(String wire) { this.wire = wire; }

    /** The lower-case name used in SQL, configuration and the admin API. */
    public String wire() { return wire; }

    public static UseClass fromWire(String s) {
        for (UseClass c : values()) if (c.wire.equals(s)) return c;
        throw new IllegalArgumentException("unknown use class '" + s + "' (expected commercial, individual, non-commercial or research)");
    }
}
