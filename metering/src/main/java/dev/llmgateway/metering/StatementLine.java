package dev.llmgateway.metering;

import java.time.LocalDate;
import java.time.YearMonth;
import java.util.Optional;

/**
 * One line of an author's statement: usage (or an adjustment) of one deployment under one license version by teams of
 * one use class. {@code usagePeriod} is the month the usage happened in; {@code usageDate} (UTC) is set on
 * {@link Kind#LATE_USAGE} lines, usage that arrived after its month was closed. Money in exact micro-USD (the sum of
 * the line's per-request amounts); it is rounded once, {@link MicroUsd#ROUNDING}, where presented. Empty for a
 * {@link Kind#MINIMUM_TOPUP} line: deployment, useClass.
 */
public record StatementLine(int lineNo, Kind kind, Optional<String> deployment, String licenseId, int licenseVersion,
                            Optional<UseClass> useClass, YearMonth usagePeriod, Optional<LocalDate> usageDate, long requests,
                            long promptTokens, long completionTokens, MicroUsd billedMicros, MicroUsd shareMicros) {
    /** What a line accounts for. */
    public enum Kind {
        /** Usage of the statement's own month, with the share provisionally posted per request. */
        USAGE("usage"),
        /** Usage of an earlier, already closed month, judged by that month's closing figures. */
        LATE_USAGE("late_usage"),
        /** Posted at close: whole-month threshold rule minus the provisional shares. */
        THRESHOLD_ADJUSTMENT("threshold_adjustment"),
        /** Posted at close: tops the month's share up to the license's minimum per period. */
        MINIMUM_TOPUP("minimum_topup"),
        /** A correction mirroring an earlier transaction. */
        REVERSAL("reversal");

        private final String wire;

        Kind(String wire) { this.wire = wire; }

        public String wire() { return wire; }

        public static Kind fromWire(String s) {
            for (Kind k : values()) if (k.wire.equals(s)) return k;
            throw new IllegalArgumentException("unknown statement line kind '" + s + "'");
        }
    }
}
