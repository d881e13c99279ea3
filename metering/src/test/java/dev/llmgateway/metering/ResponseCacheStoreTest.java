package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class ResponseCacheStoreTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private final DataSource db = TestDatabase.fresh();

    private static byte[] key(int b) {
        byte[] k = new byte[ResponseCacheStore.KEY_BYTES];
        Arrays.fill(k, (byte) b);
        return k;
    }

    private static byte[] bytes(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    @Test
    void anEntryWrittenByOneReplicaIsReadByAnotherUntilItExpires() {
        ResponseCacheStore one = new ResponseCacheStore(db), other = new ResponseCacheStore(db);
        one.put(key(1), "team", "faq", bytes("answer"), NOW, NOW.plus(Duration.ofMinutes(10)));

        var read = other.get(key(1), NOW.plusSeconds(60)).orElseThrow();
        assertThat(new String(read.entry(), StandardCharsets.UTF_8)).isEqualTo("answer");
        assertThat(read.expiresAt()).isEqualTo(NOW.plus(Duration.ofMinutes(10)));
        assertThat(other.get(key(2), NOW)).isEmpty();
        // expiry is exclusive: at expires_at the entry is gone
        assertThat(other.get(key(1), NOW.plus(Duration.ofMinutes(10)))).isEmpty();
    }

    @Test
    void theLatestWriteWinsAndPurgeDeletesOnlyExpiredEntries() {
        ResponseCacheStore store = new ResponseCacheStore(db);
        store.put(key(1), "team", "faq", bytes("old"), NOW, NOW.plusSeconds(10));
        store.put(key(1), "team", "faq", bytes("new"), NOW, NOW.plusSeconds(100));
        store.put(key(3), "team", "faq", bytes("short"), NOW, NOW.plusSeconds(5));

        assertThat(new String(store.get(key(1), NOW.plusSeconds(50)).orElseThrow().entry(), StandardCharsets.UTF_8)).isEqualTo("new");
        assertThat(store.purgeExpired(NOW.plusSeconds(50))).isEqualTo(1);
        assertThat(store.get(key(1), NOW.plusSeconds(50))).isPresent();
        assertThat(store.purgeExpired(NOW.plusSeconds(50))).isZero();
    }

    @Test
    void aKeyMustBeADigest() {
        assertThatThrownBy(() -> new ResponseCacheStore(db).get(new byte[5], NOW)).isInstanceOf(IllegalArgumentException.class);
    }
}
