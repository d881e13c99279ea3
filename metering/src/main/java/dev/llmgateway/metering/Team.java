package dev.llmgateway.metering;

import java.time.Instant;
import java.util.Optional;

/** A team: the unit that owns keys, budgets and usage. A deleted team keeps its id, usage and ledger history. */
public record Team(String id, String displayName, UseClass useClass, Instant createdAt, Optional<Instant> deletedAt) {
    public Team(String id, String displayName, UseClass useClass, Instant createdAt) {
        this(id, displayName, useClass, createdAt, Optional.empty());
    }

    public boolean deleted() { return deletedAt.isPresent(); }
}
