package dev.llmgateway.gateway.config;

/** gateway.yaml is invalid; the message names the file, the path inside it and the reason. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) { super(message); }
}
