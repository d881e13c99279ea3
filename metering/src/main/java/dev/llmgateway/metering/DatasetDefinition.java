package dev.llmgateway.metering;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A fine-tuning dataset the gateway captures into: which route (empty: every route), which share of requests
 * (basis points, 10000 = all; chosen by a hash of the request id, so the same request is always in or out), how
 * many days rows are kept, and which redaction rules apply before anything is stored.
 */
public record DatasetDefinition(String name, Optional<String> route, int sampleShareBp, int retentionDays,
                                boolean redactEmails, boolean redactKeys, boolean redactPhones) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    public DatasetDefinition {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("dataset name must match " + NAME.pattern());
        Objects.requireNonNull(route, "route");
        if (sampleShareBp < 0 || sampleShareBp > 10_000) throw new IllegalArgumentException("sampleShareBp must be within 0..10000");
        if (retentionDays < 1) throw new IllegalArgumentException("retentionDays must be >= 1");
    }

    /** Every request of the route (or of every route), all redaction rules on. */
    public static DatasetDefinition of(String name, Optional<String> route, int retentionDays) {
        return new DatasetDefinition(name, route, 10_000, retentionDays, true, true, true);
    }

    /** Whether a request of {@code route} with this id belongs in the dataset (route filter, then sampling). */
    public boolean captures(String requestId, String route) {
        if (this.route.isPresent() && !this.route.get().equals(route)) return false;
        return sampleShareBp == 10_000 || sampleSlotBp(name, requestId) < sampleShareBp;
    }

    /** The request's slot in 0..9999 for this dataset: SHA-256 based, uniform, independent between datasets. */
    static int sampleSlotBp(String dataset, String requestId) {
        byte[] h = TeamStore.hash(dataset + "\u0000" + requestId);
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (h[i] & 0xff);
        return (int) Math.floorMod(v, 10_000L);
    }
}
