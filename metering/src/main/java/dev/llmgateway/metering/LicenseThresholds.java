package dev.llmgateway.metering;

import java.util.OptionalLong;

/**
 * Monthly figures above which a license's obligation switches on: active end users, revenue from the model
 * (micro-USD the operator billed for it) and tokens (prompt + completion). Met when ANY set threshold is strictly
 * exceeded; with none set, always met (the obligation applies from the first request).
 */
public record LicenseThresholds(OptionalLong activeUsersOver, OptionalLong revenueMicrosOver, OptionalLong tokensOver) {
    public static final LicenseThresholds NONE = new LicenseThresholds(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());

    public LicenseThresholds {
        for (OptionalLong v : new OptionalLong[] {activeUsersOver, revenueMicrosOver, tokensOver}) {
            if (v.isPresent() && v.getAsLong() < 0) throw new IllegalArgumentException("thresholds must not be negative");
        }
    }

    /** True when no threshold is set. */
    public boolean none() {
        return activeUsersOver.isEmpty() && revenueMicrosOver.isEmpty() && tokensOver.isEmpty();
    }

    /** True when the obligation is on for a month with these figures. */
    public boolean met(LicensePeriodFigures f) {
        if (none()) return true;
        return (activeUsersOver.isPresent() && f.activeUsers() > activeUsersOver.getAsLong())
                || (revenueMicrosOver.isPresent() && f.revenueMicros().compareTo(MicroUsd.ofMicros(revenueMicrosOver.getAsLong())) > 0)
                || (tokensOver.isPresent() && f.tokens() > tokensOver.getAsLong());
    }
}
