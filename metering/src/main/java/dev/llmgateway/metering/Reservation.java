package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.budget.LeasePool;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;

/** A request's worst-case claim on its budgets; settle it with the actual spend or release it, once. */
public final class Reservation {
    static final int OPEN = 0, SETTLED = 1, RELEASED = 2;

    private final long id;
    private final String teamId;
    private final Optional<String> keyId;
    private final long worstCaseMicrosUsd;
    private final long worstCaseTokens;
    final BudgetGuard guard;
    final List<LeasePool.Hold> holds;
    private final AtomicInteger state = new AtomicInteger(OPEN);

    Reservation(long id, String teamId, Optional<String> keyId, long worstCaseMicrosUsd, long worstCaseTokens,
                BudgetGuard guard, List<LeasePool.Hold> holds) {
        this.id = id;
        this.teamId = teamId;
        this.keyId = keyId;
        this.worstCaseMicrosUsd = worstCaseMicrosUsd;
        this.worstCaseTokens = worstCaseTokens;
        this.guard = guard;
        this.holds = List.copyOf(holds);
    }

    public long id() { return id; }

    public String teamId() { return teamId; }

    public Optional<String> keyId() { return keyId; }

    public long worstCaseMicrosUsd() { return worstCaseMicrosUsd; }

    public long worstCaseTokens() { return worstCaseTokens; }

    /** True when no budget applied to the request: settling or releasing it only marks it finished and never blocks. */
    public boolean holdsNothing() { return holds.isEmpty(); }

    /** True until settled or released. */
    public boolean open() { return state.get() == OPEN; }

    /**
     * Estimated micro-USD still available to this team after this reservation (the tightest money budget), for the
     * {@code x-gateway-budget-remaining} header; computed locally from the last database read. Empty when unlimited.
     */
    public OptionalLong remainingMicrosUsdEstimate() {
        OptionalLong min = OptionalLong.empty();
        for (LeasePool.Hold h : holds) {
            OptionalLong r = h.remainingMicrosEstimate();
            if (r.isPresent() && (min.isEmpty() || r.getAsLong() < min.getAsLong())) min = r;
        }
        return min;
    }

    /** Moves from open to {@code to}; false if it was already settled or released. */
    boolean finish(int to) { return state.compareAndSet(OPEN, to); }

    @Override
    public String toString() {
        return "Reservation[" + id + ", team=" + teamId + ", worstCase=" + worstCaseMicrosUsd + "µUSD/" + worstCaseTokens + " tokens]";
    }
}
