package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A slow client pauses the upstream instead of being buffered without bound; a stalled upstream stream is ended. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class StreamingBackpressureTest {
    private static final int CHUNKS = 40_000; // ~40 MiB, far more than the socket buffers on both sides can hold

    @Test
    void aClientThatDoesNotReadPausesTheUpstreamAndStillGetsEverythingOnceItReads() throws Exception {
        String key = Http.newKey("backpressure-team");
        Http.script("firehose", "firehose:" + CHUNKS);
        String body = "{\"model\":\"firehose-route\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}";
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(64 * 1024);
            s.connect(new InetSocketAddress("127.0.0.1", URI.create(Http.gateway()).getPort()), 3000);
            postChat(s, key, body);
            // Not reading: the upstream's written count must stop rising (unchanged for 2 s) well before the end.
            // Without backpressure it keeps rising until every chunk is written (the gateway would buffer them all).
            int now = 0;
            int unchanged = 0;
            long deadline = System.nanoTime() + 45_000_000_000L;
            while (unchanged < 4 && System.nanoTime() < deadline) {
                Thread.sleep(500);
                int next = Http.upstreamStats("firehose").path("firehose_written").asInt();
                unchanged = next == now && next > 0 ? unchanged + 1 : 0;
                now = next;
            }
            assertThat(unchanged).as("the upstream's writes stalled while the client did not read (written: " + now + ")").isEqualTo(4);
            assertThat(now).as("the upstream was paused long before the end").isLessThan(CHUNKS / 2);

            // Reading everything: the stream completes.
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            StringBuilder tail = new StringBuilder();
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                tail.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                if (tail.length() > 4096) tail.delete(0, tail.length() - 4096);
                if (tail.indexOf("data: [DONE]") >= 0) break;
            }
            assertThat(tail.toString()).contains("data: [DONE]");
            assertThat(total).isGreaterThan((long) CHUNKS * 1000);
            assertThat(Http.upstreamStats("firehose").path("firehose_written").asInt()).isEqualTo(CHUNKS);
        }
    }

    @Test
    void theClientSeesTheHeadersAtOnceWhenTheFirstTokenIsSlow() throws Exception {
        String key = Http.newKey("slow-first-team");
        Http.script("model-a", "slow-first:2500");
        String body = "{\"model\":\"gpt-test\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"one two\"}]}";
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", URI.create(Http.gateway()).getPort()), 3000);
            s.setSoTimeout(20_000);
            long started = System.nanoTime();
            postChat(s, key, body);
            InputStream in = s.getInputStream();
            StringBuilder got = new StringBuilder();
            byte[] buf = new byte[8192];
            long headersMs = -1;
            int n;
            while ((n = in.read(buf)) > 0) {
                got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                if (headersMs < 0 && got.indexOf("\r\n\r\n") >= 0) headersMs = (System.nanoTime() - started) / 1_000_000;
                if (got.indexOf("data: [DONE]") >= 0) break;
            }
            String all = got.toString();
            assertThat(all).startsWith("HTTP/1.1 200").contains("x-gateway-request-id").contains("data: [DONE]");
            assertThat(headersMs).as("the status and headers reach the client before the upstream's first chunk").isBetween(0L, 1500L);
            assertThat(all.indexOf(": stream open")).as("an SSE comment opens the stream while the first token is awaited")
                    .isPositive().isLessThan(all.indexOf("data: "));
            assertThat(all).contains("\"content\":\"Hello\"").contains(" model-a");
        }
    }

    @Test
    void anUpstreamThatStallsMidStreamIsEndedWithATimeoutEvent() {
        String key = Http.newKey("stall-team");
        Http.script("stalling", "stall-mid-stream");
        long started = System.nanoTime();
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"stall-route\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"one two three\"}]}");
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"code\":\"upstream_timeout\"").contains("sent nothing for 700 ms in the middle of the stream")
                .doesNotContain("[DONE]");
        assertThat(tookMs).as("ended by the idle timeout, not the 10-minute total").isLessThan(10_000);
    }

    /** A chat completion request written straight to the socket (the tests read the raw answer as it arrives). */
    private static void postChat(Socket s, String key, String body) throws java.io.IOException {
        s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer " + key + "\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }
}
