package dev.llmgateway.metering;

import java.util.Objects;

/** One chat message of a captured request: its role (system, user, assistant, tool) and its text content. */
public record DatasetMessage(String role, String content) {
    public DatasetMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }
}
