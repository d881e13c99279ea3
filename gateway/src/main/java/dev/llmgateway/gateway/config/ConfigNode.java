package dev.llmgateway.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A YAML node that knows its path ({@code routes.chat.fallbacks[1]}), so every validation error names where it is.
 * Scalars get {@code ${ENV_VAR}} / {@code ${ENV_VAR:-default}} substitution. Public so that each provider's factory
 * reads its own options of a {@code providers.<name>} block with the same errors (see {@code ProviderFactory}).
 */
public final class ConfigNode {
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final String file;
    private final String path;
    private final JsonNode node;
    private final Function<String, String> env;

    ConfigNode(String file, String path, JsonNode node, Function<String, String> env) {
        this.file = file;
        this.path = path;
        this.node = node;
        this.env = env;
    }

    public String path() { return path; }

    public boolean isMissing() { return node == null || node.isMissingNode() || node.isNull(); }

    public ConfigException error(String reason) {
        return new ConfigException(file + ": " + (path.isEmpty() ? "(root)" : path) + ": " + reason);
    }

    public ConfigNode get(String key) {
        if (!isMissing() && !node.isObject()) throw error("expected a mapping");
        return new ConfigNode(file, path.isEmpty() ? key : path + "." + key, isMissing() ? null : node.get(key), env);
    }

    /** Fails on keys this version does not know: a typo must not be silently ignored. */
    public ConfigNode allowOnly(Set<String> keys) {
        if (isMissing()) return this;
        if (!node.isObject()) throw error("expected a mapping");
        node.fieldNames().forEachRemaining(k -> {
            if (!keys.contains(k)) throw get(k).error("unknown key (expected one of " + String.join(", ", keys.stream().sorted().toList()) + ")");
        });
        return this;
    }

    public Map<String, ConfigNode> entries() {
        Map<String, ConfigNode> out = new LinkedHashMap<>();
        if (isMissing()) return out;
        if (!node.isObject()) throw error("expected a mapping");
        node.fieldNames().forEachRemaining(k -> out.put(k, get(k)));
        return out;
    }

    public List<ConfigNode> items() {
        List<ConfigNode> out = new ArrayList<>();
        if (isMissing()) return out;
        if (!node.isArray()) throw error("expected a list");
        for (int i = 0; i < node.size(); i++) out.add(new ConfigNode(file, path + "[" + i + "]", node.get(i), env));
        return out;
    }

    public String string() {
        if (isMissing()) throw error("is required");
        if (!node.isValueNode()) throw error("expected a string");
        return substitute(node.asText());
    }

    public Optional<String> optString() { return isMissing() ? Optional.empty() : Optional.of(string()); }

    public String string(String defaultValue) { return optString().orElse(defaultValue); }

    public int integer(int defaultValue, int min, int max) {
        if (isMissing()) return defaultValue;
        long v;
        try {
            v = Long.parseLong(string().trim());
        } catch (NumberFormatException e) {
            throw error("expected a whole number");
        }
        if (v < min || v > max) throw error("must be between " + min + " and " + max);
        return (int) v;
    }

    public double ratio(double defaultValue) {
        if (isMissing()) return defaultValue;
        double v;
        try {
            v = Double.parseDouble(string().trim());
        } catch (NumberFormatException e) {
            throw error("expected a number between 0 and 1");
        }
        if (!(v >= 0 && v <= 1)) throw error("must be between 0 and 1");
        return v;
    }

    public boolean bool(boolean defaultValue) {
        if (isMissing()) return defaultValue;
        return switch (string().trim()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw error("expected true or false");
        };
    }

    /** A non-negative decimal, parsed exactly (prices are money). */
    public BigDecimal decimal(BigDecimal defaultValue) {
        if (isMissing()) return defaultValue;
        BigDecimal v;
        try {
            v = new BigDecimal(string().trim());
        } catch (NumberFormatException e) {
            throw error("expected a decimal number");
        }
        if (v.signum() < 0) throw error("must not be negative");
        return v;
    }

    /** Durations as {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h} or ISO-8601 ({@code PT30S}). */
    public Duration duration(Duration defaultValue) {
        if (isMissing()) return defaultValue;
        String s = string().trim();
        try {
            if (s.startsWith("P") || s.startsWith("p")) return Duration.parse(s);
            Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(s);
            if (!m.matches()) throw error("expected a duration such as 250ms, 30s, 5m or PT30S");
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        } catch (DateTimeParseException | ArithmeticException e) {
            throw error("expected a duration such as 250ms, 30s, 5m or PT30S");
        }
    }

    public URI uri() {
        String s = string().trim();
        try {
            URI u = URI.create(s);
            if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null) {
                throw error("expected an http(s) URL, got '" + s + "'");
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw error("not a valid URL: '" + s + "'");
        }
    }

    public <E extends Enum<E>> E oneOf(Class<E> type, Map<String, E> names) {
        String s = string().trim();
        E e = names.get(s);
        if (e == null) throw error("unknown value '" + s + "' (expected one of " + String.join(", ", names.keySet()) + ")");
        return e;
    }

    private String substitute(String raw) {
        Matcher m = ENV.matcher(raw);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.apply(m.group(1));
            if (value == null || value.isEmpty()) {
                if (m.group(2) == null) throw error("environment variable " + m.group(1) + " is not set");
                value = m.group(2);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
