package dev.llmgateway.metering;

/** Whether a deployment is a closed provider's model or an open-weight model we serve. */
public enum DeploymentClass {
    CLOSED("closed"), OPEN("open");

    private final String wire;

    DeploymentClass(String wire) { this.wire = wire; }

    /** The lower-case name used in SQL, configuration and exports. */
    public String wire() { return wire; }

    public static DeploymentClass fromWire(String s) {
        for (DeploymentClass c : values()) if (c.wire.equals(s)) return c;
        throw new IllegalArgumentException("unknown deployment class '" + s + "' (expected closed or open)");
    }
}
