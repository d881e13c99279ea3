package dev.llmgateway.metering;

import java.util.Objects;

/** A model license written by an author; what it demands lives in its versioned {@link LicenseTerms}. Nullable: sourceUrl. */
public record License(String id, String authorId, String name, String sourceUrl) {
    public License {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(authorId, "authorId");
        Objects.requireNonNull(name, "name");
    }
}
