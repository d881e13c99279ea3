package dev.llmgateway.gateway.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.providers.Usage;
import dev.llmgateway.metering.ResponseCacheStore;
import dev.llmgateway.metering.Schema;
import dev.llmgateway.testsupport.TestPostgres;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two gateway replicas' response caches over one real PostgreSQL: a hit stored by one is served by the other. */
class ResponseCacheSharedStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final DataSource db = migrated();
    private final Vertx vertx = Vertx.vertx();
    private final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
    private final ResponseCache.Limits limits = new ResponseCache.Limits(1 << 20, 4096);

    private static DataSource migrated() {
        DataSource ds = TestPostgres.dataSource(TestPostgres.freshDatabase("cache"));
        Schema.migrate(ds);
        return ds;
    }

    @AfterEach
    void close() {
        blocking.shutdown();
        vertx.close();
    }

    private ResponseCache replica(Clock clock) {
        return new ResponseCache(limits, new ResponseCacheStore(db), blocking, vertx, clock);
    }

    private static CachedAnswer answer(String text) {
        return new CachedAnswer("gpt", new Usage(3, 7, 0, false), "stop", false,
                List.of(Buffer.buffer("{\"choices\":[{\"message\":{\"content\":\"" + text + "\"}}]}")));
    }

    private static ObjectNode request(String content) throws Exception {
        return (ObjectNode) JSON.readTree("{\"model\":\"faq\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}");
    }

    private static Optional<CachedAnswer> get(ResponseCache c, CacheKey k, boolean shared) throws Exception {
        return c.get(k, shared).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static Optional<CachedAnswer> await(ResponseCache c, CacheKey k) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Optional<CachedAnswer> found = get(c, k, true);
        while (found.isEmpty() && System.nanoTime() < deadline) { // the write to PostgreSQL is asynchronous
            Thread.sleep(50);
            found = get(c, k, true);
        }
        return found;
    }

    @Test
    void aReplicaServesTheAnswerAnotherReplicaStoredInPostgres() throws Exception {
        ResponseCache a = replica(Clock.systemUTC()), b = replica(Clock.systemUTC());
        CacheKey key = CacheKey.of("team-1", "faq", "CHAT", request("what is the refund policy"));
        assertThat(a.put(key, answer("thirty days"), Duration.ofMinutes(10), true)).isTrue();

        CachedAnswer shared = await(b, key).orElseThrow();
        assertThat(shared.parts().get(0).toString()).contains("thirty days");
        assertThat(shared.usage()).isEqualTo(new Usage(3, 7, 0, false));
        assertThat(shared.deployment()).isEqualTo("gpt");
        // another team's identical request does not see it
        assertThat(get(b, CacheKey.of("team-2", "faq", "CHAT", request("what is the refund policy")), true)).isEmpty();
        // a memory-only lookup does not consult PostgreSQL
        ResponseCache c = replica(Clock.systemUTC());
        assertThat(get(c, key, false)).isEmpty();
    }

    @Test
    void anExpiredSharedEntryIsNotServedAndIsPurged() throws Exception {
        Instant t0 = Instant.now();
        ResponseCache writer = replica(Clock.fixed(t0, ZoneOffset.UTC));
        CacheKey key = CacheKey.of("team-1", "faq", "CHAT", request("opening hours"));
        writer.put(key, answer("nine to five"), Duration.ofSeconds(5), true);
        assertThat(await(replica(Clock.fixed(t0.plusSeconds(4), ZoneOffset.UTC)), key)).isPresent();

        ResponseCache later = replica(Clock.fixed(t0.plusSeconds(6), ZoneOffset.UTC));
        assertThat(get(later, key, true)).isEmpty();
        assertThat(later.purgeExpired()).isEqualTo(1);
    }

    @Test
    void anAnswerLargerThanTheEntryLimitIsNotCached() throws Exception {
        ResponseCache a = replica(Clock.systemUTC());
        CacheKey key = CacheKey.of("team-1", "faq", "CHAT", request("a long one"));
        assertThat(a.put(key, answer("x".repeat(5000)), Duration.ofMinutes(1), false)).isFalse();
        assertThat(get(a, key, false)).isEmpty();
    }

    @Test
    void theKeyIgnoresFieldOrderAndTheEndUserButNotTheStreamFlag() throws Exception {
        ObjectNode one = (ObjectNode) JSON.readTree("{\"model\":\"m\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"user\":\"alice\"}");
        ObjectNode two = (ObjectNode) JSON.readTree("{\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}],\"user\":\"bob\",\"temperature\":0,\"model\":\"m\"}");
        ObjectNode streamed = one.deepCopy().put("stream", true);
        assertThat(CacheKey.of("t", "r", "CHAT", one)).isEqualTo(CacheKey.of("t", "r", "CHAT", two));
        assertThat(CacheKey.of("t", "r", "CHAT", one)).isNotEqualTo(CacheKey.of("t", "r", "CHAT", streamed));
        assertThat(CacheKey.of("t", "r", "CHAT", one)).isNotEqualTo(CacheKey.of("t", "other-route", "CHAT", one));
        assertThat(CacheKey.of("t", "r", "CHAT", one)).isNotEqualTo(CacheKey.of("t", "r", "EMBEDDINGS", one));

        assertThat(CacheKey.deterministic(one)).isTrue();
        assertThat(CacheKey.deterministic((ObjectNode) JSON.readTree("{\"temperature\":0.0}"))).isTrue();
        assertThat(CacheKey.deterministic((ObjectNode) JSON.readTree("{\"temperature\":0.2,\"seed\":7}"))).isTrue();
        assertThat(CacheKey.deterministic((ObjectNode) JSON.readTree("{\"temperature\":0.2}"))).isFalse();
        assertThat(CacheKey.deterministic((ObjectNode) JSON.readTree("{}"))).isFalse();
    }

    @Test
    void anEncodedAnswerDecodesToTheSameAnswer() {
        CachedAnswer a = new CachedAnswer("dep", new Usage(1, 2, 0, true), null, true,
                List.of(Buffer.buffer("{\"a\":1}"), Buffer.buffer("{\"b\":\"ü\"}")));
        CachedAnswer back = CachedAnswer.decode(a.encode());
        assertThat(back.deployment()).isEqualTo("dep");
        assertThat(back.usage()).isEqualTo(a.usage());
        assertThat(back.finishReason()).isNull();
        assertThat(back.streamed()).isTrue();
        assertThat(back.parts()).extracting(Buffer::toString).containsExactly("{\"a\":1}", "{\"b\":\"ü\"}");
    }
}
