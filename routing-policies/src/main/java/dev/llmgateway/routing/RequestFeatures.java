package dev.llmgateway.routing;

import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * What the router knows about one request.
 *
 * @param stickyKey stable end-user key (e.g. the OpenAI {@code user} field, else the API key id) for sticky splits
 * @param promptTokens prompt size (estimate is fine)
 * @param maxOutputTokens the request's {@code max_tokens} (or the gateway default)
 * @param required capabilities the request needs (tools, JSON mode, images, streaming)
 * @param taskCategory category used to look up quality scores, e.g. {@code code}, {@code chat}
 * @param prompt cheap prompt features, see {@link PromptFeatures#extract}
 * @param budgetUsedFraction fraction of the team's budget already used, when the gateway knows it
 * @param requestId per-request key used to sample shadow traffic; when empty the sticky key is used
 */
public record RequestFeatures(String stickyKey, int promptTokens, int maxOutputTokens, Set<Capability> required,
                              String taskCategory, PromptFeatures prompt, OptionalDouble budgetUsedFraction,
                              String requestId) {

    public RequestFeatures {
        Objects.requireNonNull(stickyKey, "stickyKey");
        if (promptTokens < 0 || maxOutputTokens < 0) {
            throw new IllegalArgumentException("token counts must be >= 0");
        }
        required = Set.copyOf(required);
        Objects.requireNonNull(taskCategory, "taskCategory");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(budgetUsedFraction, "budgetUsedFraction");
        Objects.requireNonNull(requestId, "requestId");
    }

    /** A request with no required capabilities, task {@code general}, empty prompt features and no budget info. */
    public static RequestFeatures of(String stickyKey, int promptTokens, int maxOutputTokens) {
        return new RequestFeatures(stickyKey, promptTokens, maxOutputTokens, Set.of(), Deployment.GENERAL_TASK,
                PromptFeatures.EMPTY, OptionalDouble.empty(), "");
    }

    public RequestFeatures withRequired(Set<Capability> capabilities) {
        return new RequestFeatures(stickyKey, promptTokens, maxOutputTokens, capabilities, taskCategory, prompt,
                budgetUsedFraction, requestId);
    }

    public RequestFeatures withTaskCategory(String category) {
        return new RequestFeatures(stickyKey, promptTokens, maxOutputTokens, required, category, prompt,
                budgetUsedFraction, requestId);
    }

    public RequestFeatures withPrompt(PromptFeatures features) {
        return new RequestFeatures(stickyKey, promptTokens, maxOutputTokens, required, taskCategory, features,
                budgetUsedFraction, requestId);
    }

    public RequestFeatures withBudgetUsedFraction(double used) {
        return new RequestFeatures(stickyKey, promptTokens, maxOutputTokens, required, taskCategory, prompt,
                OptionalDouble.of(used), requestId);
    }

    public RequestFeatures withRequestId(String id) {
        return new RequestFeatures(stickyKey, promptTokens, maxOutputTokens, required, taskCategory, prompt,
                budgetUsedFraction, id);
    }
}
