package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RateLimitStoreTest {
    private final RateLimitStore store = new RateLimitStore(TestDatabase.fresh());

    @Test
    void limitsAreStoredPerSubjectReplacedAndCleared() {
        store.put(RateLimitStore.Subject.TEAM, "search", RateLimits.of(60, 10_000));
        store.put(RateLimitStore.Subject.KEY, "key_1", RateLimits.requestsPerMinute(5));
        assertThat(store.all(RateLimitStore.Subject.TEAM).get("search").tokensPerMinute()).isEqualTo(OptionalLong.of(10_000));
        assertThat(store.all(RateLimitStore.Subject.KEY).get("key_1").tokensPerMinute()).isEmpty();

        store.put(RateLimitStore.Subject.TEAM, "search", RateLimits.tokensPerMinute(5));
        assertThat(store.all(RateLimitStore.Subject.TEAM).get("search").requestsPerMinute()).isEmpty();
        store.put(RateLimitStore.Subject.TEAM, "search", RateLimits.NONE);
        assertThat(store.all(RateLimitStore.Subject.TEAM)).isEmpty();
    }
}
