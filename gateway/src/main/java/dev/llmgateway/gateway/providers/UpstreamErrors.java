package dev.llmgateway.gateway.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/** The one place that turns an upstream's HTTP status and error body into a {@link GatewayError}. */
public final class UpstreamErrors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_MESSAGE = 300;

    private UpstreamErrors() {}

    /** Tokens that look like credentials or fragments of them (OpenAI's 401 echoes the key's tail as {@code sk-...abcd}). */
    private static final java.util.List<java.util.regex.Pattern> SECRET_SHAPES = java.util.List.of(
            java.util.regex.Pattern.compile("(?i)\\b(bearer|basic)\\s+\\S+"),
            java.util.regex.Pattern.compile("(?i)\\b(sk|pk|rk|gw|ak)-[A-Za-z0-9*._\\-]{2,}"),
            java.util.regex.Pattern.compile("[A-Za-z0-9_\\-.]*\\*{2,}[A-Za-z0-9_\\-.*]*"),
            java.util.regex.Pattern.compile("[A-Za-z0-9_\\-]*\\.{3,}[A-Za-z0-9_\\-]+"),
            java.util.regex.Pattern.compile("\\b(?=[A-Za-z0-9_\\-]*\\d)(?=[A-Za-z0-9_\\-]*[A-Za-z])[A-Za-z0-9_\\-]{20,}\\b"));

    /**
     * The upstream's message with anything shaped like a credential (or a masked fragment of one) replaced by
     * {@code [redacted]}. Status, type and code are kept separately, so nothing useful for the client is lost.
     */
    public static String scrub(String message) { return scrub(message, java.util.List.of()); }

    /** As {@link #scrub(String)}, and also every word of six or more characters that is part of one of {@code secrets}. */
    public static String scrub(String message, java.util.List<String> secrets) {
        if (message == null || message.isEmpty()) return "";
        String out = message;
        for (String secret : secrets) if (secret.length() >= 6) out = out.replace(secret, "[redacted]");
        if (!secrets.isEmpty()) {
            java.util.regex.Matcher m = WORD.matcher(out);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String w = m.group();
                boolean part = w.length() >= 6 && secrets.stream().anyMatch(s -> s.contains(w));
                m.appendReplacement(sb, java.util.regex.Matcher.quoteReplacement(part ? "[redacted]" : w));
            }
            m.appendTail(sb);
            out = sb.toString();
        }
        for (java.util.regex.Pattern p : SECRET_SHAPES) out = p.matcher(out).replaceAll("[redacted]");
        return out;
    }

    private static final java.util.regex.Pattern WORD = java.util.regex.Pattern.compile("[A-Za-z0-9_\\-]+");

    /** The credentials sent upstream in these request headers (bearer token, x-api-key, api-key). */
    public static java.util.List<String> credentials(MultiMap headers) {
        if (headers == null) return java.util.List.of();
        java.util.List<String> out = new java.util.ArrayList<>();
        String auth = headers.get("authorization");
        if (auth != null) out.add(auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : auth.trim());
        for (String h : new String[] {"x-api-key", "api-key"}) if (headers.get(h) != null) out.add(headers.get(h).trim());
        return out;
    }

    public static GatewayError.Failure fromStatus(String deployment, int status, MultiMap headers, Buffer body) {
        return fromStatus(deployment, status, headers, body, java.util.List.of());
    }

    /** The error for an upstream status; its message is scrubbed of credential shapes and of {@code secrets}. */
    public static GatewayError.Failure fromStatus(String deployment, int status, MultiMap headers, Buffer body, java.util.List<String> secrets) {
        String detail = message(body, secrets);
        String msg = "upstream '" + deployment + "' answered " + status + (detail.isEmpty() ? "" : ": " + detail);
        return new GatewayError.Failure(new GatewayError.UpstreamFailed(deployment, status, msg, retryAfter(headers)));
    }

    /** {@code Retry-After} as seconds or an HTTP date; also OpenAI's {@code retry-after-ms}. */
    public static Optional<Duration> retryAfter(MultiMap headers) {
        if (headers == null) return Optional.empty();
        String ms = headers.get("retry-after-ms");
        try {
            if (ms != null) return Optional.of(Duration.ofMillis(Math.max(0, (long) Double.parseDouble(ms.trim()))));
            String ra = headers.get("retry-after");
            if (ra == null) return Optional.empty();
            ra = ra.trim();
            if (ra.chars().allMatch(Character::isDigit)) return Optional.of(Duration.ofSeconds(Long.parseLong(ra)));
            Duration d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(ra, DateTimeFormatter.RFC_1123_DATE_TIME));
            return Optional.of(d.isNegative() ? Duration.ZERO : d);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The upstream's own error message (OpenAI and Anthropic both use error.message), cut short; never the raw body. */
    private static String message(Buffer body, java.util.List<String> secrets) {
        if (body == null || body.length() == 0) return "";
        try {
            JsonNode n = JSON.readTree(body.getBytes());
            String m = n.path("error").path("message").asText("");
            if (m.isEmpty()) m = n.path("message").asText("");
            m = scrub(m.length() > MAX_MESSAGE ? m.substring(0, MAX_MESSAGE) : m, secrets);
            String type = n.path("error").path("type").asText("");
            String code = n.path("error").path("code").asText("");
            if (!type.isEmpty() || !code.isEmpty()) {
                m += " (" + (type.isEmpty() ? "" : "type " + scrub(type)) + (!type.isEmpty() && !code.isEmpty() ? ", " : "")
                        + (code.isEmpty() ? "" : "code " + scrub(code)) + ")";
            }
            return m;
        } catch (Exception e) {
            return "";
        }
    }
}
