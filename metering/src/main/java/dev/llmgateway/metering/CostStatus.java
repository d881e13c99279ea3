package dev.llmgateway.metering;

/** Outcome of a cost computation, checked in this order: token counts first, then overflow. */
public enum CostStatus {
    OK,
    /** A count is negative, or more cached tokens than prompt tokens. */
    INVALID_TOKENS,
    /** The exact result does not fit a {@code long} of micro-USD. */
    OVERFLOW
}
