package dev.llmgateway.metering;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** A stored API key: its public id, owning team and hash; never the secret. */
public record ApiKey(String id, String teamId, String name, String prefix, Optional<List<String>> allowedRoutes,
                     Instant createdAt, Optional<Instant> revokedAt) {
    public boolean revoked() { return revokedAt.isPresent(); }
}
