package dev.llmgateway.metering;

/** An exact cost, or why it could not be computed ({@code amount} is zero unless {@code status} is OK). */
public record CostResult(CostStatus status, MicroUsd amount) {
    public CostResult {
        Invariants.check(status == CostStatus.OK ? amount.signum() >= 0 : amount.isZero(), "cost result " + status + " " + amount);
    }

    static CostResult ok(MicroUsd amount) { return new CostResult(CostStatus.OK, amount); }

    static CostResult failed(CostStatus status) { return new CostResult(status, MicroUsd.ZERO); }

    public boolean ok() { return status == CostStatus.OK; }

    /** The exact amount; throws when the computation failed. */
    public MicroUsd orThrow() {
        if (status != CostStatus.OK) throw new ArithmeticException("cost not computable: " + status);
        return amount;
    }
}
