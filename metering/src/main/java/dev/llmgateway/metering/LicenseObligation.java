package dev.llmgateway.metering;

/**
 * What is owed when a license's obligation applies: a revenue share in basis points of what the operator billed
 * for the model, a royalty in micro-USD per 1,000,000 tokens, and a minimum per period; all zero means nothing.
 */
public record LicenseObligation(int revenueShareBp, long royaltyMicrosPerMTok, long minimumMicrosPerPeriod) {
    public static final LicenseObligation NONE = new LicenseObligation(0, 0, 0);

    public LicenseObligation {
        if (revenueShareBp < 0 || revenueShareBp > Cost.BASIS_POINTS) {
            throw new IllegalArgumentException("revenue share " + revenueShareBp + " bp outside 0.." + Cost.BASIS_POINTS);
        }
        if (royaltyMicrosPerMTok < 0 || minimumMicrosPerPeriod < 0) {
            throw new IllegalArgumentException("royalty and minimum must not be negative");
        }
    }

    public boolean none() { return revenueShareBp == 0 && royaltyMicrosPerMTok == 0 && minimumMicrosPerPeriod == 0; }
}
