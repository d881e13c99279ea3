package dev.llmgateway.routing;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/** How a route picks its primary deployment; one variant per {@code policy.type} in gateway.yaml. */
public sealed interface Policy permits Policy.Fixed, Policy.Weighted, Policy.CostQuality, Policy.Complexity,
        Policy.Migration {

    /** The {@code type} name used in configuration, decisions and response headers. */
    String type();

    /** Always the same deployment. */
    record Fixed(String deployment) implements Policy {
        public Fixed {
            Objects.requireNonNull(deployment, "deployment");
        }

        @Override
        public String type() {
            return "fixed";
        }
    }

    /** Split traffic by integer weights, sticky per end user (stable hash of route and sticky key). */
    record Weighted(Map<String, Integer> weights) implements Policy {
        public Weighted {
            weights = Map.copyOf(weights);
        }

        @Override
        public String type() {
            return "weighted";
        }
    }

    /**
     * Cheapest candidate (by expected cost) among those that can serve the request and meet the quality
     * floor for its task category; {@code expectedOutputTokens <= 0} means "assume max_tokens".
     */
    record CostQuality(List<String> candidates, double qualityFloor, OptionalLong maxCostMicrosPerRequest,
                       int expectedOutputTokens) implements Policy {
        public CostQuality {
            candidates = List.copyOf(candidates);
            Objects.requireNonNull(maxCostMicrosPerRequest, "maxCostMicrosPerRequest");
        }

        @Override
        public String type() {
            return "cost_quality";
        }
    }

    /**
     * Prompt difficulty in [0,1] above {@code threshold} goes to {@code strong}; with a
     * {@code targetStrongShare} the threshold is calibrated on recent traffic instead.
     */
    record Complexity(String strong, String weak, double threshold, OptionalDouble targetStrongShare)
            implements Policy {
        public Complexity {
            Objects.requireNonNull(strong, "strong");
            Objects.requireNonNull(weak, "weak");
            Objects.requireNonNull(targetStrongShare, "targetStrongShare");
        }

        @Override
        public String type() {
            return "complexity";
        }
    }

    /**
     * Staged move from a closed deployment to an open one: the current stage's percent of end users
     * (sticky hash bucket below the percent) go to {@code to}. The stage comes from {@link MigrationState}.
     */
    record Migration(String from, String to, List<Integer> stagesPercent, PromotionRule rule) implements Policy {
        public Migration {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            stagesPercent = List.copyOf(stagesPercent);
            Objects.requireNonNull(rule, "rule");
        }

        @Override
        public String type() {
            return "migration";
        }

        /** Index of the last stage. */
        public int lastStage() {
            return stagesPercent.size() - 1;
        }
    }
}
