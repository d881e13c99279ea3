package dev.llmgateway.gateway.providers;

/** Token counts of one answer; {@code estimated} when the upstream did not report them and we counted. */
public record Usage(int promptTokens, int completionTokens, int cachedTokens, boolean estimated) {
    public static final Usage NONE = new Usage(0, 0, 0, true);

    /** A rough count for text whose tokenizer we do not have: about four characters a token, never zero for text. */
    public static int estimateTokens(int chars) { return chars == 0 ? 0 : Math.max(1, (chars + 3) / 4); }
}
