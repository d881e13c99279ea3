package dev.llmgateway.engine.internal;

import dev.llmgateway.engine.EngineMessage;

import java.util.List;
import java.util.Locale;

/**
 * The template used when a model has none (docs/engine.md, "Default template"): a plain transcript,
 * one line per message, ending with an open {@code Assistant:} turn.
 * <pre>
 * System: {system}
 * User: {user}
 * Assistant: {assistant}
 * Assistant:
 * </pre>
 */
public final class DefaultChatTemplate {

    /** Added to the caller's stop sequences so a base model does not write the user's next turn. */
    public static final String IMPLICIT_STOP = "\nUser:";

    private DefaultChatTemplate() {}

    public static String render(List<EngineMessage> messages) {
        StringBuilder prompt = new StringBuilder();
        for (EngineMessage m : messages) {
            prompt.append(label(m.role())).append(": ").append(m.content()).append('\n');
        }
        return prompt.append("Assistant:").toString();
    }

    private static String label(String role) {
        String r = role.trim().toLowerCase(Locale.ROOT);
        return switch (r) {
            case "system", "developer" -> "System";
            case "user" -> "User";
            case "assistant" -> "Assistant";
            default -> r.isEmpty() ? "User" : Character.toUpperCase(r.charAt(0)) + r.substring(1);
        };
    }
}
