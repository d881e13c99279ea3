package dev.llmgateway.gateway.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.eclipse.microprofile.config.ConfigProvider;

/** Small helpers for tests: the gateway's and the fake upstream's URLs, admin calls, JSON. */
public final class Http {
    public static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Http() {}

    public static String gateway() {
        return "http://127.0.0.1:" + ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    }

    public static String upstream() {
        return "http://127.0.0.1:" + ConfigProvider.getConfig().getValue("test.upstream.port", Integer.class);
    }

    public static HttpResponse<String> post(String url, String auth, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) b.header("authorization", "Bearer " + auth);
        return send(b.build());
    }

    public static HttpResponse<String> put(String url, String auth, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) b.header("authorization", "Bearer " + auth);
        return send(b.build());
    }

    public static HttpResponse<String> patch(String url, String auth, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json").method("PATCH", HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) b.header("authorization", "Bearer " + auth);
        return send(b.build());
    }

    public static HttpResponse<String> get(String url, String auth) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        if (auth != null) b.header("authorization", "Bearer " + auth);
        return send(b.build());
    }

    public static HttpResponse<String> delete(String url, String auth) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).DELETE();
        if (auth != null) b.header("authorization", "Bearer " + auth);
        return send(b.build());
    }

    public static HttpResponse<String> send(HttpRequest req) {
        try {
            HttpResponse<String> r = CLIENT.send(req, HttpResponse.BodyHandlers.ofString());
            LeakCheck.verify(r);
            return r;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + s, e);
        }
    }

    /** Scripts the fake upstream's next answers for one upstream model. */
    public static void script(String model, String... steps) {
        var n = JSON.createObjectNode();
        n.put("model", model);
        var arr = n.putArray("steps");
        for (String s : steps) arr.add(s);
        post(upstream() + "/_control/script", null, n.toString());
    }

    public static JsonNode upstreamStats(String model) {
        return json(get(upstream() + "/_control/stats?model=" + model, null).body());
    }

    /** Creates a team (if new) and returns a fresh key's secret. */
    public static String newKey(String team, String... allowedRoutes) {
        post(gateway() + "/admin/teams", GatewayTestResource.ADMIN_KEY, "{\"id\":\"" + team + "\"}");
        var body = JSON.createObjectNode();
        body.put("name", "test");
        if (allowedRoutes.length > 0) {
            var arr = body.putArray("allowed_routes");
            for (String r : allowedRoutes) arr.add(r);
        }
        HttpResponse<String> r = post(gateway() + "/admin/teams/" + team + "/keys", GatewayTestResource.ADMIN_KEY, body.toString());
        if (r.statusCode() != 201) throw new IllegalStateException("key creation failed: " + r.statusCode() + " " + r.body());
        return json(r.body()).path("key").asText();
    }
}
