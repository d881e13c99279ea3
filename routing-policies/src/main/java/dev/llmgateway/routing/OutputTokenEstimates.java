package dev.llmgateway.routing;

import java.util.Map;
import java.util.OptionalLong;

/**
 * Observed mean output (completion) tokens per deployment, for estimating the cost of a request that does not say
 * its {@code max_tokens}. The gateway computes it from stored usage, so every replica sees the same numbers.
 */
@FunctionalInterface
public interface OutputTokenEstimates {

    /** Mean output tokens of the named deployment's recent answers; empty when too few were seen. */
    OptionalLong meanOutputTokens(String deployment);

    /** Nothing observed. */
    static OutputTokenEstimates none() {
        return d -> OptionalLong.empty();
    }

    /** The given means per deployment. */
    static OutputTokenEstimates of(Map<String, Long> byDeployment) {
        Map<String, Long> copy = Map.copyOf(byDeployment);
        return d -> {
            Long v = copy.get(d);
            return v == null ? OptionalLong.empty() : OptionalLong.of(v);
        };
    }
}
