package dev.llmgateway.metering;

import java.util.List;

/**
 * A starting point for registering a license: its conditions plus where they come from. Thresholds and percentages in
 * templates are PLACEHOLDERS ({@code placeholders} lists their paths): the operator must set them from the actual
 * license text or agreement.
 */
public record LicenseTemplate(String id, String name, List<String> licenseNames, String sourceUrl, String summary,
                              List<String> placeholders, LicenseConditions conditions) {
    public LicenseTemplate {
        licenseNames = List.copyOf(licenseNames);
        placeholders = List.copyOf(placeholders);
    }
}
