package dev.llmgateway.metering.internal.ledger;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Set;

/** Calendar months in UTC, the ledger's periods, written {@code YYYY-MM}. */
public final class Periods {
    private Periods() {}

    public static YearMonth of(Instant t) { return YearMonth.from(t.atOffset(ZoneOffset.UTC)); }

    public static Instant start(YearMonth m) { return m.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant(); }

    /** The first instant after the month. */
    public static Instant end(YearMonth m) { return start(m.plusMonths(1)); }

    public static String wire(YearMonth m) { return m.toString(); }

    /** The statement period usage of {@code usageMonth} posts into: that month, or the first later one not closed. */
    public static YearMonth postingPeriod(YearMonth usageMonth, Set<YearMonth> closed) {
        YearMonth p = usageMonth;
        while (closed.contains(p)) p = p.plusMonths(1);
        return p;
    }
}
