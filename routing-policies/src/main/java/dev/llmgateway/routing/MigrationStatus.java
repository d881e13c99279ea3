package dev.llmgateway.routing;

/** Where a migration stands. */
public enum MigrationStatus {
    /** Serving the current stage; automatic promotion and rollback apply. */
    ACTIVE,
    /** Serving the current stage; automatic evaluation suspended until resumed. */
    PAUSED,
    /** Held at an operator-chosen stage; automatic evaluation suspended until resumed. */
    PINNED,
    /** All traffic back on the closed deployment (0% open). */
    ROLLED_BACK,
    /** All traffic on the open deployment (100% open). */
    COMPLETED
}
