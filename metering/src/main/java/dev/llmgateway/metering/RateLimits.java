package dev.llmgateway.metering;

import java.util.OptionalLong;

/** Requests per minute and tokens per minute for one key or team; empty = not limited. */
public record RateLimits(OptionalLong requestsPerMinute, OptionalLong tokensPerMinute) {
    /** Largest accepted limit: far above any real one, so sums of grants over a window never overflow a long. */
    public static final long MAX_PER_MINUTE = 100_000_000L;

    public static final RateLimits NONE = new RateLimits(OptionalLong.empty(), OptionalLong.empty());

    public RateLimits {
        check("requests_per_minute", requestsPerMinute);
        check("tokens_per_minute", tokensPerMinute);
    }

    public static RateLimits of(long requestsPerMinute, long tokensPerMinute) {
        return new RateLimits(OptionalLong.of(requestsPerMinute), OptionalLong.of(tokensPerMinute));
    }

    public static RateLimits requestsPerMinute(long rpm) { return new RateLimits(OptionalLong.of(rpm), OptionalLong.empty()); }

    public static RateLimits tokensPerMinute(long tpm) { return new RateLimits(OptionalLong.empty(), OptionalLong.of(tpm)); }

    private static void check(String name, OptionalLong v) {
        if (v.isPresent() && (v.getAsLong() < 1 || v.getAsLong() > MAX_PER_MINUTE))
            throw new IllegalArgumentException(name + " must be between 1 and " + MAX_PER_MINUTE);
    }
}
