package dev.llmgateway.metering;

import java.util.Objects;

/** Attribution a license requires (e.g. "Built with X"); {@code aboveThresholdsOnly}: only once its thresholds are met. */
public record Attribution(String text, boolean aboveThresholdsOnly) {
    public static final Attribution NONE = new Attribution("", false);

    public Attribution {
        Objects.requireNonNull(text, "text");
    }
}
