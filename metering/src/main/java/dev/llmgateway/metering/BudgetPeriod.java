package dev.llmgateway.metering;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.Optional;

/** How often a budget starts again from zero; all periods are computed in UTC. */
public enum BudgetPeriod {
    /** Midnight to midnight UTC. */
    DAILY("daily"),
    /** ISO week: Monday 00:00 UTC to the next Monday. */
    WEEKLY("weekly"),
    /** First of the month 00:00 UTC to the first of the next month. */
    MONTHLY("monthly"),
    /** One period forever: the limit is a lifetime total. */
    TOTAL("total");

    private final String wire;

    BudgetPeriod(String wire) { this.wire = wire; }

    /** The lower-case name used in SQL and the admin API. */
    public String wire() { return wire; }

    public static BudgetPeriod fromWire(String s) {
        for (BudgetPeriod p : values()) if (p.wire.equalsIgnoreCase(s)) return p;
        throw new IllegalArgumentException("unknown budget period '" + s + "' (expected daily, weekly, monthly or total)");
    }

    /** Start of the period that contains {@code now}. */
    public Instant start(Instant now) {
        LocalDate day = LocalDate.ofInstant(now, ZoneOffset.UTC);
        LocalDate start = switch (this) {
            case DAILY -> day;
            case WEEKLY -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            case MONTHLY -> day.withDayOfMonth(1);
            case TOTAL -> LocalDate.EPOCH;
        };
        return start.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** End (exclusive) of the period starting at {@code start}; empty for {@link #TOTAL}. */
    public Optional<Instant> end(Instant start) {
        LocalDate day = LocalDate.ofInstant(start, ZoneOffset.UTC);
        LocalDate end = switch (this) {
            case DAILY -> day.plusDays(1);
            case WEEKLY -> day.plusWeeks(1);
            case MONTHLY -> day.plusMonths(1);
            case TOTAL -> null;
        };
        return Optional.ofNullable(end).map(d -> d.atStartOfDay(ZoneOffset.UTC).toInstant());
    }
}
