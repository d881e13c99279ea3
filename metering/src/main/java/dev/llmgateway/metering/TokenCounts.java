package dev.llmgateway.metering;

/** Tokens of one request as providers report them: {@code cachedTokens} is the part of {@code promptTokens} served from cache. */
public record TokenCounts(long promptTokens, long completionTokens, long cachedTokens) {
    /** True when no count is negative and cached tokens are a part of prompt tokens. */
    public boolean valid() {
        return promptTokens >= 0 && completionTokens >= 0 && cachedTokens >= 0 && cachedTokens <= promptTokens;
    }
}
