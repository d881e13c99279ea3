package dev.llmgateway.metering;

/**
 * A license's figures in one month (UTC), over all its metered non-shadow usage on open deployments: distinct active
 * end users ((team, end user) pairs; a request without end user counts as its team's one user), revenue (team
 * charges, exact micro-USD) and tokens (prompt + completion).
 */
public record LicensePeriodFigures(long activeUsers, MicroUsd revenueMicros, long tokens) {
    public static final LicensePeriodFigures ZERO = new LicensePeriodFigures(0, MicroUsd.ZERO, 0);

    /** Figures with revenue in whole micro-USD. */
    public LicensePeriodFigures(long activeUsers, long revenueMicros, long tokens) {
        this(activeUsers, MicroUsd.ofMicros(revenueMicros), tokens);
    }

    /** These figures plus one request (overflow-checked). */
    public LicensePeriodFigures plus(boolean newUser, MicroUsd chargeMicros, long requestTokens) {
        return new LicensePeriodFigures(Math.addExact(activeUsers, newUser ? 1 : 0), revenueMicros.plus(chargeMicros),
                Math.addExact(tokens, requestTokens));
    }
}
