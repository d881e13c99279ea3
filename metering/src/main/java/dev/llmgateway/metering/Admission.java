package dev.llmgateway.metering;

import java.time.Instant;
import java.util.Optional;

/** The budget verdict for one request, decided before it is sent upstream. */
public sealed interface Admission {

    /** Within every budget; settle or release the reservation when the request ends. */
    record Admitted(Reservation reservation) implements Admission {}

    /**
     * Admitted although a soft budget is (or would be) exceeded: the gateway alerts or downgrades the route.
     * {@code limit} and {@code spentAndReserved} are in {@code unit} for the budget that was exceeded.
     */
    record AdmittedOverSoftLimit(Reservation reservation, long budgetId, BudgetUnit unit, long limit,
                                 long spentAndReserved, Optional<Instant> periodEnd) implements Admission {}

    /**
     * Refused by a hard budget: {@code spentAndReserved} (spent, reserved by in-flight requests and leased to
     * replicas) plus this request's worst case would exceed {@code limit}. Retry after {@code periodEnd}.
     */
    record Rejected(long budgetId, String reason, BudgetUnit unit, long limit, long spentAndReserved,
                    Optional<Instant> periodEnd) implements Admission {}
}
