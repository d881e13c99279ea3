package dev.llmgateway.engine;

import java.util.Objects;

/** One chat message; {@code role} is {@code system}, {@code user} or {@code assistant}. */
public record EngineMessage(String role, String content) {

    public EngineMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static EngineMessage system(String content) { return new EngineMessage("system", content); }

    public static EngineMessage user(String content) { return new EngineMessage("user", content); }

    public static EngineMessage assistant(String content) { return new EngineMessage("assistant", content); }
}
