package dev.llmgateway.metering;

import java.time.Duration;

/** Whether a request may proceed now under its key's, team's and route's rate limits. */
public sealed interface RateDecision {
    /** Which limit refused. */
    enum Scope { KEY, TEAM, ROUTE }

    enum Kind { REQUESTS_PER_MINUTE, TOKENS_PER_MINUTE }

    /** Admitted; settle the permit with the actual tokens once known. */
    record Allowed(RatePermit permit) implements RateDecision {}

    /** Refused; the same request would be allowed after {@code retryAfter} (for the HTTP Retry-After header). */
    record Limited(Scope scope, String subjectId, Kind kind, long limitPerMinute, Duration retryAfter) implements RateDecision {}

    /** Refused for good: the request's token estimate alone is more than a minute's limit. */
    record Oversized(Scope scope, String subjectId, long limitPerMinute, long estimatedTokens) implements RateDecision {}
}
