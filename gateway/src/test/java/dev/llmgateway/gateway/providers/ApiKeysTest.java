package dev.llmgateway.gateway.providers;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Key spreading and per-key cooldown, on a clock the test moves. */
class ApiKeysTest {
    private final AtomicLong nowMs = new AtomicLong(1_000_000);

    private ApiKeys keys(String... k) { return new ApiKeys("p", List.of(k), nowMs::get); }

    private static List<String> picks(ApiKeys keys, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(keys.pick().secret().orElseThrow());
        return out;
    }

    @Test
    void keysAreUsedInTurn() {
        assertThat(picks(keys("a", "b", "c"), 6)).containsExactly("a", "b", "c", "a", "b", "c");
    }

    @Test
    void aRestingKeyIsSkippedUntilItsRetryAfterHasPassed() {
        ApiKeys k = keys("a", "b", "c");
        ApiKeys.Key a = k.pick();
        k.coolDown(a, Optional.of(Duration.ofSeconds(20)));
        assertThat(picks(k, 4)).containsExactly("b", "c", "b", "c");
        nowMs.addAndGet(19_999);
        assertThat(picks(k, 2)).doesNotContain("a");
        nowMs.addAndGet(1);
        assertThat(picks(k, 3)).contains("a");
    }

    @Test
    void withoutRetryAfterAKeyRestsForTheDefaultAndAnAbsurdRetryAfterIsCapped() {
        ApiKeys k = keys("a", "b");
        k.coolDown(new ApiKeys.Key(0, Optional.of("a")), Optional.empty());
        nowMs.addAndGet(ApiKeys.DEFAULT_COOLDOWN.toMillis() - 1);
        assertThat(k.available(0)).isFalse();
        nowMs.addAndGet(1);
        assertThat(k.available(0)).isTrue();
        k.coolDown(new ApiKeys.Key(1, Optional.of("b")), Optional.of(Duration.ofDays(2)));
        nowMs.addAndGet(ApiKeys.MAX_COOLDOWN.toMillis());
        assertThat(k.available(1)).isTrue();
    }

    @Test
    void whenEveryKeyRestsTheOneFreedFirstIsUsed() {
        ApiKeys k = keys("a", "b", "c");
        k.coolDown(new ApiKeys.Key(0, Optional.of("a")), Optional.of(Duration.ofSeconds(30)));
        k.coolDown(new ApiKeys.Key(1, Optional.of("b")), Optional.of(Duration.ofSeconds(5)));
        k.coolDown(new ApiKeys.Key(2, Optional.of("c")), Optional.of(Duration.ofSeconds(60)));
        assertThat(picks(k, 3)).containsOnly("b");
    }

    @Test
    void aShorterRetryAfterNeverShortensARestAlreadyLonger() {
        ApiKeys k = keys("a", "b");
        ApiKeys.Key a = new ApiKeys.Key(0, Optional.of("a"));
        k.coolDown(a, Optional.of(Duration.ofSeconds(60)));
        k.coolDown(a, Optional.of(Duration.ofSeconds(1)));
        nowMs.addAndGet(30_000);
        assertThat(k.available(0)).isFalse();
    }

    @Test
    void aProviderWithoutKeysSendsNoneAndNothingNamesASecret() {
        ApiKeys none = keys();
        assertThat(none.pick().secret()).isEmpty();
        ApiKeys k = keys("sk-very-secret");
        assertThat(k.pick().toString()).isEqualTo("key #1").doesNotContain("sk-very-secret");
        assertThat(k.toString()).doesNotContain("sk-very-secret");
    }
}
