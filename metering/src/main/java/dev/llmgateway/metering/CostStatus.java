package dev.llmgateway.metering;

/** Outcome of a cost computation, checked in this order: token counts first, then overflow. */
public enum CostStatus {
    OK,
    /** A count is negative, or more cached tokens than prompt tokens. */
    INVALID_TOKENS,
    /** An intermediate product does not fit a {@code long}, or the result exceeds {@link MicroUsd}'s bound. */
    OVERFLOW
}
