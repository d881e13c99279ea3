package dev.llmgateway.metering;

import java.math.BigDecimal;

/**
 * What one request owes a model author, a pure function: when the obligation applies,
 * {@code charge * shareBp / 10^4 + tokens * royalty / 10^6} micro-USD, exactly (a {@link MicroUsd}; a charge of up to
 * 10 decimals gives a share of up to 14), otherwise 0. Nothing is rounded per request: a statement rounds its lines
 * and total once. Minimums per period are topped up when the period closes, not here.
 */
public final class RevenueShare {
    private RevenueShare() {}

    /** The share owed for a request of {@code useClass} charged {@code charge} for {@code tokens}, given month figures. */
    public static MicroUsd owed(LicenseConditions terms, UseClass useClass, LicensePeriodFigures monthFigures,
                                MicroUsd charge, long tokens) {
        if (!terms.obligationApplies(useClass, monthFigures)) return MicroUsd.ZERO;
        return share(terms.obligation(), charge, tokens);
    }

    /** The obligation's per-request amount, ignoring thresholds; throws ArithmeticException on overflow. */
    public static MicroUsd share(LicenseObligation o, MicroUsd charge, long tokens) {
        if (charge.signum() < 0 || tokens < 0) throw new IllegalArgumentException("negative charge or tokens");
        MicroUsd share = new MicroUsd(charge.micros().multiply(BigDecimal.valueOf(o.revenueShareBp())).movePointLeft(4));
        MicroUsd royalty = new MicroUsd(BigDecimal.valueOf(tokens).multiply(BigDecimal.valueOf(o.royaltyMicrosPerMTok())).movePointLeft(6));
        MicroUsd owed = share.plus(royalty);
        Invariants.check(owed.signum() >= 0, "share is not negative");
        return owed;
    }
}
