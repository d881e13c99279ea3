package dev.llmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two packaged gateway processes on one PostgreSQL hold one key's limit of 60 requests per minute together: clients
 * hammer both for 75 s, and no 60-second window sees more than 60 requests admitted (documented bound for rpm: 0).
 */
class GlobalRateLimitTest {
    private static final long SECOND = 1_000_000_000L, MINUTE = 60 * SECOND;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as the client saw it: sent and answered (nanoTime), status, error code, which gateway. */
    record Sent(long sentNanos, long answeredNanos, int status, String code, int port) {}

    @Test
    @Timeout(value = 240)
    void twoGatewayProcessesLetAtMostSixtyRequestsOfOneKeyThroughInAnyMinute() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
             Harness h = new Harness("global-rate-limit", null)) {
            String dbUrl = UsageDb.jdbcUrl(pg.getPort());
            try (GatewayProcess a = GatewayProcess.start("gateway-a", h.settings("gateway-a", GatewayProcess.freePort(), dbUrl));
                 GatewayProcess b = GatewayProcess.start("gateway-b", h.settings("gateway-b", GatewayProcess.freePort(), dbUrl))) {
                String key = a.createTeamAndKey("limited");
                String keyId = a.admin("GET", "/admin/teams/limited/keys", null).path("data").get(0).path("id").asText();
                a.admin("PUT", "/admin/keys/" + keyId + "/limits", "{\"rpm\":60}");
                GatewayProcess.sleep(11_000); // gateway-b re-reads the stored limits every 10 s

                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
                GatewayProcess[] both = {a, b};
                ConcurrentLinkedQueue<Sent> sent = new ConcurrentLinkedQueue<>();
                long start = System.nanoTime(), end = start + 75 * SECOND;
                List<Thread> clients = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int first = t;
                    clients.add(Thread.ofPlatform().name("e2e-rate-" + t).start(() -> {
                        for (int n = first; System.nanoTime() < end; n += 4) {
                            GatewayProcess g = both[n % 2];
                            String body = "{\"model\":\"chat\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hello " + n + "\"}]}";
                            long s = System.nanoTime();
                            try {
                                HttpResponse<String> r = client.send(HttpRequest.newBuilder(g.uri("/v1/chat/completions"))
                                        .timeout(Duration.ofSeconds(10)).header("authorization", "Bearer " + key)
                                        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                        HttpResponse.BodyHandlers.ofString());
                                String code = r.statusCode() == 200 ? "" : JSON.readTree(r.body()).path("error").path("code").asText();
                                sent.add(new Sent(s, System.nanoTime(), r.statusCode(), code, g.port()));
                            } catch (Exception e) {
                                sent.add(new Sent(s, System.nanoTime(), -1, e.toString(), g.port()));
                            }
                            GatewayProcess.sleep(40);
                        }
                    }));
                }
                for (Thread c : clients) c.join();

                List<Sent> admitted = sent.stream().filter(s -> s.status() == 200).sorted(Comparator.comparingLong(Sent::sentNanos)).toList();
                Map<String, Integer> outcomes = new TreeMap<>();
                for (Sent s : sent) outcomes.merge(s.status() + " " + s.code(), 1, Integer::sum);
                // A request was admitted somewhere between sending and its answer. The requests certainly admitted
                // within [t, t + 60 s) are those sent at or after t and answered before t + 60 s: at most 60 of them.
                int worst = 0;
                for (Sent from : admitted) {
                    int inWindow = 0;
                    for (Sent s : admitted) if (s.sentNanos() >= from.sentNanos() && s.answeredNanos() < from.sentNanos() + MINUTE) inWindow++;
                    worst = Math.max(worst, inWindow);
                }
                long firstMinute = admitted.stream().filter(s -> s.sentNanos() < start + MINUTE).count();
                Map<Integer, Long> byPort = new TreeMap<>();
                for (Sent s : admitted) byPort.merge(s.port(), 1L, Long::sum);
                System.out.printf("[global-rate-limit] %d requests: %s; admitted %d (first minute %d, by port %s; a=%d b=%d); "
                        + "most admitted in one 60 s window: %d%n", sent.size(), outcomes, admitted.size(), firstMinute, byPort,
                        a.port(), b.port(), worst);

                assertThat(worst).as("requests admitted in any 60-second window, both gateways together").isLessThanOrEqualTo(60);
                assertThat(admitted.size()).as("the limit is used: a minute's 60 and then more as the window moves").isGreaterThanOrEqualTo(60);
                assertThat(firstMinute).as("admitted in the first minute").isBetween(50L, 60L);
                assertThat(byPort).as("both gateways admitted requests").hasSize(2);
                assertThat(outcomes.keySet()).as("every other request was refused by the rate limit")
                        .allMatch(o -> o.equals("200 ") || o.equals("429 rate_limit_exceeded"));
            }
        }
    }
}
