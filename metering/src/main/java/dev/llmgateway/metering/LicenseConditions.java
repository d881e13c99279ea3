package dev.llmgateway.metering;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * What a license demands of a commercial cloud operator: use classes that never owe anything, the thresholds that
 * switch the obligation on, the obligation itself, and an attribution requirement.
 */
public record LicenseConditions(Set<UseClass> freeUseClasses, LicenseThresholds thresholds, LicenseObligation obligation,
                                Attribution attribution) {
    public LicenseConditions {
        freeUseClasses = freeUseClasses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(freeUseClasses));
        Objects.requireNonNull(thresholds, "thresholds");
        Objects.requireNonNull(obligation, "obligation");
        Objects.requireNonNull(attribution, "attribution");
    }

    /** A license that never demands anything (permissive licenses such as Apache-2.0 or MIT). */
    public static LicenseConditions permissive() {
        return new LicenseConditions(Set.of(), LicenseThresholds.NONE, LicenseObligation.NONE, Attribution.NONE);
    }

    /** Whether usage by a team of this use class owes the obligation, given its month's figures (see {@link RevenueShare}). */
    public boolean obligationApplies(UseClass useClass, LicensePeriodFigures monthFigures) {
        return !freeUseClasses.contains(useClass) && thresholds.met(monthFigures);
    }

    /** Whether the attribution text must be shown for usage with these month figures. */
    public boolean attributionRequired(LicensePeriodFigures monthFigures) {
        if (attribution.text().isEmpty()) return false;
        return !attribution.aboveThresholdsOnly() || thresholds.met(monthFigures);
    }

    /** A use-class set from wire names, e.g. {@code ["research", "non-commercial"]}. */
    public static Set<UseClass> useClasses(Iterable<String> wire) {
        Set<UseClass> out = EnumSet.noneOf(UseClass.class);
        for (String s : wire) out.add(UseClass.fromWire(s));
        return out;
    }
}
