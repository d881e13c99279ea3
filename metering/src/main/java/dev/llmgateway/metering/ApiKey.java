package dev.llmgateway.metering;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A stored API key: its public id, owning team and hash; never the secret. {@code expiresAt} empty = never expires;
 * {@code previousExpiresAt} is when the secret it had before its last rotation stops working (empty: no previous
 * secret). {@code lastUsedAt} is written in batches, so it may lag a few seconds.
 */
public record ApiKey(String id, String teamId, String name, String prefix, Optional<List<String>> allowedRoutes,
                     Instant createdAt, Optional<Instant> revokedAt, String description, Optional<Instant> expiresAt,
                     Optional<Instant> lastUsedAt, Optional<Instant> rotatedAt, Optional<Instant> previousExpiresAt) {
    public ApiKey {
        description = description == null ? "" : description;
    }

    /** A key as it was before expiry, rotation and descriptions existed (tests, callers that need none of them). */
    public ApiKey(String id, String teamId, String name, String prefix, Optional<List<String>> allowedRoutes,
                  Instant createdAt, Optional<Instant> revokedAt) {
        this(id, teamId, name, prefix, allowedRoutes, createdAt, revokedAt, "", Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    public boolean revoked() { return revokedAt.isPresent(); }

    /** Whether the key itself has expired at {@code now} (a previous secret's overlap window is {@link TeamStore.KeyOwner}'s). */
    public boolean expired(Instant now) { return expiresAt.isPresent() && !now.isBefore(expiresAt.get()); }
}
