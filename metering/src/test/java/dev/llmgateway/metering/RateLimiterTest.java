package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    private final AtomicLong nanos = new AtomicLong(1_000);
    private final RateLimiter limiter = new RateLimiter(nanos::get);

    @Test
    void allowsNRequestsPerMinuteThenSaysWhenToRetry() {
        limiter.limitKey("k", RateLimits.requestsPerMinute(60));
        for (int i = 0; i < 60; i++) assertThat(limiter.tryAcquire("t", "k", 0)).isEqualTo(RateDecision.ALLOWED);

        RateDecision d = limiter.tryAcquire("t", "k", 0);

        assertThat(d).isInstanceOfSatisfying(RateDecision.Limited.class, l -> {
            assertThat(l.scope()).isEqualTo(RateDecision.Scope.KEY);
            assertThat(l.kind()).isEqualTo(RateDecision.Kind.REQUESTS_PER_MINUTE);
            assertThat(l.retryAfter()).isEqualTo(Duration.ofSeconds(1));
        });
        nanos.addAndGet(Duration.ofMillis(999).toNanos());
        assertThat(limiter.tryAcquire("t", "k", 0)).isInstanceOf(RateDecision.Limited.class);
        nanos.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(limiter.tryAcquire("t", "k", 0)).isEqualTo(RateDecision.ALLOWED);
    }

    @Test
    void tokensPerMinuteCountEstimatesAndAdjustmentsGiveBackOverestimates() {
        limiter.limitTeam("t", RateLimits.tokensPerMinute(1_000));
        assertThat(limiter.tryAcquire("t", "a", 800)).isEqualTo(RateDecision.ALLOWED);
        assertThat(limiter.tryAcquire("t", "b", 300)).isInstanceOfSatisfying(RateDecision.Limited.class, l -> {
            assertThat(l.scope()).isEqualTo(RateDecision.Scope.TEAM);
            assertThat(l.kind()).isEqualTo(RateDecision.Kind.TOKENS_PER_MINUTE);
            assertThat(l.retryAfter()).isEqualTo(Duration.ofSeconds(6)); // 100 tokens at 1000/min
        });

        limiter.adjustTokens("t", "a", -500); // the request used 300, not 800

        assertThat(limiter.tryAcquire("t", "b", 300)).isEqualTo(RateDecision.ALLOWED);
    }

    @Test
    void aRefusedRequestTakesNothingFromTheOtherBuckets() {
        limiter.limitKey("k", RateLimits.requestsPerMinute(10));
        limiter.limitTeam("t", RateLimits.requestsPerMinute(1));
        assertThat(limiter.tryAcquire("t", "k", 0)).isEqualTo(RateDecision.ALLOWED);
        for (int i = 0; i < 20; i++) assertThat(limiter.tryAcquire("t", "k", 0)).isInstanceOf(RateDecision.Limited.class);
        limiter.limitTeam("t", RateLimits.NONE);
        for (int i = 0; i < 9; i++) assertThat(limiter.tryAcquire("t", "k", 0)).isEqualTo(RateDecision.ALLOWED);
        assertThat(limiter.tryAcquire("t", "k", 0)).isInstanceOf(RateDecision.Limited.class);
    }

    @Test
    void concurrentCallersNeverGetMoreThanTheLimit() throws Exception {
        limiter.limitKey("k", RateLimits.requestsPerMinute(1_000));
        AtomicLong allowed = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++)
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1_000; i++) if (limiter.tryAcquire("t", "k", 0) == RateDecision.ALLOWED) allowed.incrementAndGet();
            }));
        for (Thread t : threads) t.join();
        assertThat(allowed.get()).isEqualTo(1_000);
    }

    /**
     * Reference: whatever the arrival times, requests allowed in [start, t] never exceed the burst (one minute's
     * allowance) plus what accrues at the rate over the elapsed time; and a refused request is allowed once it waited
     * the retry-after it was given (when nothing else arrived meanwhile).
     */
    @Test
    void neverAllowsMoreThanBurstPlusRateAndRetryAfterIsEnough() {
        qt().withExamples(200).forAll(integers().between(1, 600), lists().of(longs().between(0, 5_000)).ofSizeBetween(0, 200),
                        longs().between(0, 5))
                .checkAssert(RateLimiterTest::staysWithinBurstPlusRate);
    }

    private static void staysWithinBurstPlusRate(int perMinute, List<Long> gapsMillis, long cost) {
        AtomicLong clock = new AtomicLong(0);
        RateLimiter l = new RateLimiter(clock::get);
        l.limitTeam("t", RateLimits.of(perMinute, 10L * perMinute));
        long allowed = 0;
        for (long gap : gapsMillis) {
            clock.addAndGet(Duration.ofMillis(gap).toNanos());
            RateDecision d = l.tryAcquire("t", null, cost);
            if (d == RateDecision.ALLOWED) allowed++;
            long elapsed = clock.get();
            long bound = perMinute + Math.floorDiv(elapsed * (long) perMinute, 60_000_000_000L);
            assertThat(allowed).isLessThanOrEqualTo(bound);
            if (d instanceof RateDecision.Limited lim) {
                assertThat(lim.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(1));
                clock.addAndGet(lim.retryAfter().toNanos());
                assertThat(l.tryAcquire("t", null, cost)).isEqualTo(RateDecision.ALLOWED);
                allowed++;
                assertThat(allowed).isLessThanOrEqualTo(perMinute + Math.floorDiv(clock.get() * (long) perMinute, 60_000_000_000L));
            }
        }
    }
}
