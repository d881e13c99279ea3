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

    public static GatewayError.Failure fromStatus(String deployment, int status, MultiMap headers, Buffer body) {
        String detail = message(body);
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
    private static String message(Buffer body) {
        if (body == null || body.length() == 0) return "";
        try {
            JsonNode n = JSON.readTree(body.getBytes());
            String m = n.path("error").path("message").asText("");
            if (m.isEmpty()) m = n.path("message").asText("");
            return m.length() > MAX_MESSAGE ? m.substring(0, MAX_MESSAGE) + "..." : m;
        } catch (Exception e) {
            return "";
        }
    }
}
