package dev.llmgateway.metering;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/** A judge model's comparison of a shadow answer against the primary's, from the shadow's point of view. */
public record ShadowJudgement(Verdict verdict, String judgeDeployment, String reason, long judgeCostMicros, Instant at) {

    /** The shadow's answer was better than (WIN), as good as (TIE) or worse than (LOSS) the primary's. */
    public enum Verdict { WIN, TIE, LOSS }

    public ShadowJudgement {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(judgeDeployment, "judgeDeployment");
        if (judgeCostMicros < 0) throw new IllegalArgumentException("judge cost must be >= 0");
        at = Objects.requireNonNull(at, "at").truncatedTo(ChronoUnit.MICROS);
    }
}
