package dev.llmgateway.gateway.runtime;

import dev.llmgateway.metering.LedgerPoster;
import java.time.Duration;
import java.time.Instant;

/**
 * Posts stored usage on open, licensed deployments to the revenue-share ledger (idempotent): a complete pass at start-up
 * and hourly, and in between only the rows stored since the previous pass, however old (docs/billing.md).
 */
public final class LedgerPasses {
    /** A usage batch stored by a transaction still open at the previous pass gets the earlier stored_at. */
    private static final Duration PASS_MARGIN = Duration.ofMinutes(5);

    private final LedgerPoster ledger;
    private volatile boolean fullPassDue = true;
    private Instant passedAt;

    LedgerPasses(LedgerPoster ledger) { this.ledger = ledger; }

    /** Posts every stored, not yet posted usage event (since the previous pass, or all when a full pass is due). */
    public synchronized LedgerPoster.PostReport post() {
        Instant passStart = Instant.now();
        var report = fullPassDue || passedAt == null
                ? ledger.postPending()
                : ledger.postPendingStoredSince(passedAt.minus(PASS_MARGIN));
        fullPassDue = false;
        passedAt = passStart;
        return report;
    }

    /** Makes the next pass a complete one. */
    void fullPassDue() { fullPassDue = true; }
}
