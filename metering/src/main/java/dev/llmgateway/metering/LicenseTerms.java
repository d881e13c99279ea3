package dev.llmgateway.metering;

import java.time.Instant;
import java.util.Objects;

/** Version {@code version} of a license's conditions, in force from {@code effectiveFrom} until the next version's. */
public record LicenseTerms(String licenseId, int version, Instant effectiveFrom, LicenseConditions conditions) {
    public LicenseTerms {
        Objects.requireNonNull(licenseId, "licenseId");
        Objects.requireNonNull(effectiveFrom, "effectiveFrom");
        Objects.requireNonNull(conditions, "conditions");
        if (version < 1) throw new IllegalArgumentException("terms version must be >= 1: " + version);
    }
}
