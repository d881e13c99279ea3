package dev.llmgateway.metering;

import java.time.Instant;
import java.time.YearMonth;
import java.util.List;
import java.util.Optional;

/**
 * What the operator owes one author for one period (a UTC month), line by line; totals are the lines' sums. A CLOSED
 * statement is frozen; an OPEN one is computed from the ledger as it stands. Money in exact micro-USD: what is owed
 * is {@link #shareMicros()} rounded once ({@link MicroUsd#roundedMicros()}), not the sum of rounded lines.
 */
public record Statement(String id, String authorId, YearMonth period, Status status, Optional<Instant> closedAt,
                        long requests, long promptTokens, long completionTokens, MicroUsd billedMicros, MicroUsd shareMicros,
                        List<StatementLine> lines) {
    /** Whether the period is closed. */
    public enum Status { OPEN, CLOSED }

    public Statement {
        lines = List.copyOf(lines);
    }

    /** The statement id of an author's period, e.g. {@code st-2025-03-meta}. */
    public static String idOf(String authorId, YearMonth period) { return "st-" + period + "-" + authorId; }
}
