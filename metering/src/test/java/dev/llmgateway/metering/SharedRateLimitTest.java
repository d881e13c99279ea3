package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Two replicas' limiters on one PostgreSQL hold one limit together (grants in rate_grants, PostgreSQL's clock). */
class SharedRateLimitTest {
    private final DataSource db = TestDatabase.fresh();

    @Test
    void twoReplicasHammeringOneKeyGetExactlyItsLimitTogether() throws Exception {
        RateLimiter a = RateLimiter.shared(db, "a", RateLeasing.defaults()), b = RateLimiter.shared(db, "b", RateLeasing.defaults());
        a.limitKey("k", RateLimits.requestsPerMinute(60));
        b.limitKey("k", RateLimits.requestsPerMinute(60));
        AtomicLong allowedA = new AtomicLong(), allowedB = new AtomicLong();
        long started = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            RateLimiter l = t % 2 == 0 ? a : b;
            AtomicLong count = t % 2 == 0 ? allowedA : allowedB;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 60; i++) if (l.tryAcquire("t", "k", 0) instanceof RateDecision.Allowed) count.incrementAndGet();
            }));
        }
        for (Thread t : threads) t.join();
        // Nothing leaves the 65 s window during the test: the limit is shared exactly, and each refusal returns the
        // refusing replica's unused grant, so at most the other replica's last unused slice (<= 3) stays unspent.
        assertThat(allowedA.get() + allowedB.get()).isBetween(57L, 60L);
        assertThat(allowedA.get()).isPositive();
        assertThat(allowedB.get()).isPositive();
        RateDecision d = a.tryAcquire("t", "k", 0);
        // The oldest grant (made after `started`) leaves the 65 s window first: that is when a request fits again.
        Duration window = Duration.ofSeconds(65), elapsed = Duration.ofNanos(System.nanoTime() - started);
        assertThat(d).isInstanceOfSatisfying(RateDecision.Limited.class,
                l -> assertThat(l.retryAfter()).isBetween(window.minus(elapsed), window.plusMillis(1)));
    }

    @Test
    void tokensAreSharedAndActualTokensAboveTheEstimateAreChargedToEveryReplica() {
        RateLimiter a = RateLimiter.shared(db, "a", RateLeasing.defaults()), b = RateLimiter.shared(db, "b", RateLeasing.defaults());
        a.limitTeam("t", RateLimits.tokensPerMinute(20_000));
        b.limitTeam("t", RateLimits.tokensPerMinute(20_000));
        assertThat(a.tryAcquire("t", null, 25_000)).isInstanceOf(RateDecision.Oversized.class);
        RateDecision first = a.tryAcquire("t", null, 1_000);
        a.settle(((RateDecision.Allowed) first).permit(), 15_000); // the provider ignored max_tokens
        RateDecision second = b.tryAcquire("t", null, 4_000);
        assertThat(second).isInstanceOf(RateDecision.Allowed.class);
        b.settle(((RateDecision.Allowed) second).permit(), 4_000);
        assertThat(a.tryAcquire("t", null, 2_000)).isInstanceOf(RateDecision.Limited.class);
        assertThat(b.tryAcquire("t", null, 2_000)).isInstanceOf(RateDecision.Limited.class);
    }

    @Test
    void unusedGrantsAreReturnedAtTheFlushAfterTheirValidity() throws Exception {
        RateLeasing shortGrants = new RateLeasing(1, 1, Duration.ofMillis(200));
        RateLimiter a = RateLimiter.shared(db, "a", shortGrants), b = RateLimiter.shared(db, "b", shortGrants);
        a.limitKey("k", RateLimits.requestsPerMinute(10));
        b.limitKey("k", RateLimits.requestsPerMinute(10));
        assertThat(a.tryAcquire("t", "k", 0)).isInstanceOf(RateDecision.Allowed.class); // takes 1 + (9 / 1) = all 10
        assertThat(granted()).isEqualTo(10);
        Thread.sleep(300);
        a.flush();
        assertThat(granted()).as("the unused 9 count no more").isEqualTo(1);
        for (int i = 0; i < 9; i++) assertThat(b.tryAcquire("t", "k", 0)).isInstanceOf(RateDecision.Allowed.class);
        assertThat(b.tryAcquire("t", "k", 0)).isInstanceOf(RateDecision.Limited.class);
    }

    private long granted() throws Exception {
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(granted), 0) FROM rate_grants")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
