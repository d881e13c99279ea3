package dev.llmgateway.metering;

/** A cost in micro-USD, or why it could not be computed ({@code micros} is 0 unless {@code status} is OK). */
public record CostResult(CostStatus status, long micros) {
    public CostResult {
        Invariants.check(status == CostStatus.OK ? micros >= 0 : micros == 0, "cost result " + status + " " + micros);
    }

    static CostResult ok(long micros) { return new CostResult(CostStatus.OK, micros); }

    static CostResult failed(CostStatus status) { return new CostResult(status, 0); }

    public boolean ok() { return status == CostStatus.OK; }

    /** The micro-USD amount; throws when the computation failed. */
    public long orThrow() {
        if (status != CostStatus.OK) throw new ArithmeticException("cost not computable: " + status);
        return micros;
    }
}
