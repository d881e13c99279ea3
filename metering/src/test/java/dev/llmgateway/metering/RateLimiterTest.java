package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.metering.internal.rate.InMemoryRateLedger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    private static final long SECOND = 1_000_000_000L, MINUTE = 60 * SECOND;
    /** How long a grant counts with the default leasing: one minute plus its 5 s validity. */
    private static final Duration WINDOW = Duration.ofSeconds(65);

    private final AtomicLong nanos = new AtomicLong(1_000);
    private final RateLimiter limiter = new RateLimiter(nanos::get);

    private static boolean allowed(RateDecision d) { return d instanceof RateDecision.Allowed; }

    private static RatePermit permit(RateDecision d) { return ((RateDecision.Allowed) d).permit(); }

    @Test
    void unlimitedOnlyWhileNoKeyTeamOrRouteLimitIsConfigured() {
        assertThat(limiter.unlimited("t", "k", "r")).isTrue();
        assertThat(limiter.unlimited("t", null, null)).isTrue();
        limiter.limitRoute("r", RateLimits.requestsPerMinute(5));
        assertThat(limiter.unlimited("t", "k", "r")).isFalse();
        assertThat(limiter.unlimited("t", "k", "other")).isTrue();
        limiter.limitKey("k", RateLimits.requestsPerMinute(5));
        assertThat(limiter.unlimited("t", "k", null)).isFalse();
        limiter.limitTeam("t2", RateLimits.requestsPerMinute(5));
        assertThat(limiter.unlimited("t2", null, null)).isFalse();
        limiter.limitKey("k", RateLimits.NONE);
        assertThat(limiter.unlimited("t", "k", null)).isTrue();
        RatePermit free = ((RateDecision.Allowed) limiter.tryAcquire("t", "k", null, 10)).permit();
        assertThat(free.takesNothing()).isTrue();
        RatePermit taken = ((RateDecision.Allowed) limiter.tryAcquire("t", "k", "r", 10)).permit();
        assertThat(taken.takesNothing()).isFalse();
    }

    @Test
    void allowsNRequestsPerMinuteThenSaysWhenToRetry() {
        limiter.limitKey("k", RateLimits.requestsPerMinute(60));
        for (int i = 0; i < 60; i++) assertThat(allowed(limiter.tryAcquire("t", "k", 0))).isTrue();

        RateDecision d = limiter.tryAcquire("t", "k", 0);

        assertThat(d).isInstanceOfSatisfying(RateDecision.Limited.class, l -> {
            assertThat(l.scope()).isEqualTo(RateDecision.Scope.KEY);
            assertThat(l.kind()).isEqualTo(RateDecision.Kind.REQUESTS_PER_MINUTE);
            assertThat(l.retryAfter()).isBetween(WINDOW, WINDOW.plusMillis(1));
        });
        Duration wait = ((RateDecision.Limited) d).retryAfter();
        nanos.addAndGet(wait.toNanos() - 1_000_000);
        assertThat(limiter.tryAcquire("t", "k", 0)).isInstanceOf(RateDecision.Limited.class);
        nanos.addAndGet(1_000_000);
        assertThat(allowed(limiter.tryAcquire("t", "k", 0))).isTrue();
    }

    /** Issue 11's case: with tpm 20,000, ten requests of 15,000 real tokens each used to pass within ten seconds. */
    @Test
    void tenRequestsOfFifteenThousandTokensInTenSecondsGetOneThroughAtTwentyThousandTpm() {
        limiter.limitKey("k", RateLimits.tokensPerMinute(20_000));
        int through = 0;
        for (int i = 0; i < 10; i++) {
            RateDecision d = limiter.tryAcquire("t", "k", 16_000); // prompt bound + max_tokens
            if (d instanceof RateDecision.Allowed a) {
                through++;
                limiter.settle(a.permit(), 15_000);
            } else {
                assertThat(d).isInstanceOfSatisfying(RateDecision.Limited.class,
                        l -> assertThat(l.kind()).isEqualTo(RateDecision.Kind.TOKENS_PER_MINUTE));
            }
            nanos.addAndGet(SECOND);
        }
        assertThat(through).isEqualTo(1);
    }

    @Test
    void tokensAboveTheEstimateAreChargedAndDelayLaterRequests() {
        limiter.limitKey("k", RateLimits.tokensPerMinute(20_000));
        // The provider ignored max_tokens: estimated 1,000, used 15,000.
        limiter.settle(permit(limiter.tryAcquire("t", "k", 1_000)), 15_000);
        nanos.addAndGet(SECOND);
        limiter.settle(permit(limiter.tryAcquire("t", "k", 1_000)), 15_000);
        nanos.addAndGet(SECOND);
        // 30,000 counted in this minute: nothing more until the first request's minute has passed.
        RateDecision d = limiter.tryAcquire("t", "k", 1_000);
        assertThat(d).isInstanceOf(RateDecision.Limited.class);
        assertThat(((RateDecision.Limited) d).retryAfter()).isGreaterThan(Duration.ofSeconds(55));
    }

    @Test
    void anEstimateAboveAMinutesLimitIsRefusedForGoodAndTakesNothing() {
        limiter.limitTeam("t", RateLimits.of(10, 20_000));
        assertThat(limiter.tryAcquire("t", "k", 20_001)).isEqualTo(new RateDecision.Oversized(RateDecision.Scope.TEAM, "t", 20_000, 20_001));
        for (int i = 0; i < 10; i++) assertThat(allowed(limiter.tryAcquire("t", "k", 2_000))).isTrue();
        assertThat(limiter.tryAcquire("t", "k", 1)).isInstanceOf(RateDecision.Limited.class);
    }

    @Test
    void anOverestimateGivenBackIsSpentAgainWithinTheSameMinute() {
        limiter.limitTeam("t", RateLimits.tokensPerMinute(1_000));
        RatePermit a = permit(limiter.tryAcquire("t", "a", 800));
        assertThat(limiter.tryAcquire("t", "b", 300)).isInstanceOfSatisfying(RateDecision.Limited.class, l -> {
            assertThat(l.scope()).isEqualTo(RateDecision.Scope.TEAM);
            assertThat(l.kind()).isEqualTo(RateDecision.Kind.TOKENS_PER_MINUTE);
        });
        // The refusal returned the unused part of the grant; only what the first request took still counts.
        limiter.settle(a, 300);
        limiter.settle(a, 0); // settling twice changes nothing
        limiter.flush(); // the grant was closed by the refusal: what comes back after that is written by the flush
        assertThat(allowed(limiter.tryAcquire("t", "b", 300))).isTrue();
    }

    @Test
    void aRefusedRequestTakesNothingFromTheOtherBuckets() {
        limiter.limitKey("k", RateLimits.requestsPerMinute(10));
        limiter.limitTeam("t", RateLimits.requestsPerMinute(1));
        assertThat(allowed(limiter.tryAcquire("t", "k", 0))).isTrue();
        for (int i = 0; i < 20; i++) assertThat(limiter.tryAcquire("t", "k", 0)).isInstanceOf(RateDecision.Limited.class);
        limiter.limitTeam("t", RateLimits.NONE);
        for (int i = 0; i < 9; i++) assertThat(allowed(limiter.tryAcquire("t", "k", 0))).isTrue();
        assertThat(limiter.tryAcquire("t", "k", 0)).isInstanceOf(RateDecision.Limited.class);
    }

    @Test
    void concurrentCallersNeverGetMoreThanTheLimit() throws Exception {
        RateLimiter real = new RateLimiter();
        real.limitKey("k", RateLimits.requestsPerMinute(1_000));
        AtomicLong allowed = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++)
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1_000; i++) if (allowed(real.tryAcquire("t", "k", 0))) allowed.incrementAndGet();
            }));
        for (Thread t : threads) t.join();
        assertThat(allowed.get()).isEqualTo(1_000);
    }

    @Test
    void aSteadyStreamGetsAtLeastSixtyOverSixtyFiveOfTheRate() {
        limiter.limitKey("k", RateLimits.requestsPerMinute(60));
        int admitted = 0;
        for (int i = 0; i < 6_000; i++) { // one request every 100 ms for 10 minutes
            if (allowed(limiter.tryAcquire("t", "k", 0))) admitted++;
            nanos.addAndGet(SECOND / 10);
            if (i % 10 == 0) limiter.flush();
        }
        assertThat(admitted).isBetween(540, 600);
    }

    /** One admitted request as the reference sees it. */
    private record Admitted(long atNanos, long estimate, long actual) {}

    /**
     * Seeded property test against an independent reference. Several replicas (limiters on one ledger), random
     * arrival gaps, random estimates (some above the limit), actual tokens below or above the estimate, settled late
     * or never, limits re-set and grants flushed at random. The reference only knows the admitted requests, and
     * checks the documented guarantee for every 60-second window [t, t + 60 s): admitted requests <= rpm, and their
     * actual tokens <= tpm + what they used above their estimates.
     */
    @Test
    void noSequenceLetsMoreThanTheLimitThroughInAnySixtySecondWindow() {
        for (long seed = 0; seed < 300; seed++) {
            Random rnd = new Random(seed);
            AtomicLong clock = new AtomicLong(rnd.nextLong(1, 1_000_000_000_000L));
            RateLeasing leasing = new RateLeasing(1 + rnd.nextInt(40), 1 + rnd.nextInt(6), Duration.ofMillis(1 + rnd.nextInt(20_000)));
            InMemoryRateLedger ledger = new InMemoryRateLedger(clock::get);
            int replicas = 1 + rnd.nextInt(3);
            List<RateLimiter> limiters = new ArrayList<>();
            for (int r = 0; r < replicas; r++) limiters.add(new RateLimiter(ledger, "r" + r, clock::get, leasing));
            long rpm = 1 + rnd.nextInt(200), tpm = 1 + rnd.nextInt(50_000);
            for (RateLimiter l : limiters) l.limitKey("k", RateLimits.of(rpm, tpm));
            List<Admitted> admitted = new ArrayList<>();
            List<RatePermit> pending = new ArrayList<>();
            List<long[]> pendingTokens = new ArrayList<>();
            int steps = 50 + rnd.nextInt(400);
            for (int s = 0; s < steps; s++) {
                clock.addAndGet(rnd.nextInt(10) == 0 ? rnd.nextLong(0, 30 * SECOND) : rnd.nextLong(0, SECOND));
                RateLimiter l = limiters.get(rnd.nextInt(replicas));
                switch (rnd.nextInt(12)) {
                    case 0 -> l.flush();
                    case 1 -> { // settle a pending request late
                        if (!pending.isEmpty()) {
                            int i = rnd.nextInt(pending.size());
                            limiters.get(0).settle(pending.remove(i), pendingTokens.remove(i)[0]);
                        }
                    }
                    default -> {
                        long estimate = rnd.nextInt(8) == 0 ? rnd.nextLong(0, tpm + tpm / 5 + 2) : rnd.nextLong(0, tpm / 4 + 2);
                        RateDecision d = l.tryAcquire("t", "k", estimate);
                        if (estimate > tpm) assertThat(d).as("seed %d", seed).isInstanceOf(RateDecision.Oversized.class);
                        if (d instanceof RateDecision.Limited lim)
                            assertThat(lim.retryAfter()).as("seed %d", seed).isPositive()
                                    .isLessThanOrEqualTo(Duration.ofMinutes(1).plus(leasing.grantValidity()).plusMillis(1));
                        if (d instanceof RateDecision.Allowed a) {
                            long actual = rnd.nextInt(4) == 0 ? estimate + rnd.nextLong(0, tpm / 2 + 1) : rnd.nextLong(0, estimate + 1);
                            admitted.add(new Admitted(clock.get(), estimate, actual));
                            if (rnd.nextBoolean()) l.settle(a.permit(), actual);
                            else {
                                pending.add(a.permit());
                                pendingTokens.add(new long[] {actual});
                            }
                        }
                    }
                }
            }
            checkWindows(seed, admitted, rpm, tpm);
        }
    }

    private static void checkWindows(long seed, List<Admitted> admitted, long rpm, long tpm) {
        for (int i = 0; i < admitted.size(); i++) {
            long start = admitted.get(i).atNanos(), requests = 0, actual = 0, excess = 0;
            for (int j = i; j < admitted.size() && admitted.get(j).atNanos() - start < MINUTE; j++) {
                Admitted a = admitted.get(j);
                requests++;
                actual += a.actual();
                excess += Math.max(0, a.actual() - a.estimate());
            }
            assertThat(requests).as("seed %d: requests in the minute from admission #%d", seed, i).isLessThanOrEqualTo(rpm);
            assertThat(actual).as("seed %d: actual tokens in the minute from admission #%d", seed, i).isLessThanOrEqualTo(tpm + excess);
        }
    }

    /** Whatever else happened, a refused request passes once it waited its Retry-After (when nothing else arrives meanwhile). */
    @Test
    void waitingTheRetryAfterIsEnough() {
        for (long seed = 0; seed < 200; seed++) {
            Random rnd = new Random(seed);
            AtomicLong clock = new AtomicLong(rnd.nextLong(1, 1_000_000_000_000L));
            InMemoryRateLedger ledger = new InMemoryRateLedger(clock::get);
            RateLeasing leasing = RateLeasing.defaults();
            RateLimiter a = new RateLimiter(ledger, "a", clock::get, leasing), b = new RateLimiter(ledger, "b", clock::get, leasing);
            long tpm = 1 + rnd.nextInt(10_000);
            a.limitTeam("t", RateLimits.tokensPerMinute(tpm));
            b.limitTeam("t", RateLimits.tokensPerMinute(tpm));
            for (int s = 0; s < 200; s++) {
                clock.addAndGet(rnd.nextLong(0, 3 * SECOND));
                RateLimiter l = rnd.nextBoolean() ? a : b;
                long estimate = rnd.nextLong(0, tpm + 1);
                RateDecision d = l.tryAcquire("t", null, estimate);
                if (d instanceof RateDecision.Allowed ok) l.settle(ok.permit(), rnd.nextLong(0, estimate + 1));
                else if (d instanceof RateDecision.Limited lim) {
                    clock.addAndGet(lim.retryAfter().toNanos());
                    assertThat(l.tryAcquire("t", null, estimate)).as("seed %d step %d", seed, s).isInstanceOf(RateDecision.Allowed.class);
                }
            }
        }
    }

    @Test
    void routeLimitCountsEveryTeamsRequestsToTheRoute() {
        RateLimiter limiter = new RateLimiter();
        limiter.limitRoute("small-model", RateLimits.requestsPerMinute(2));
        assertThat(limiter.tryAcquire("a", "ka", "small-model", 10)).isInstanceOf(RateDecision.Allowed.class);
        assertThat(limiter.tryAcquire("b", "kb", "small-model", 10)).isInstanceOf(RateDecision.Allowed.class);
        assertThat(limiter.tryAcquire("c", "kc", "other-route", 10)).isInstanceOf(RateDecision.Allowed.class);
        RateDecision third = limiter.tryAcquire("c", "kc", "small-model", 10);
        assertThat(third).isInstanceOfSatisfying(RateDecision.Limited.class, l -> {
            assertThat(l.scope()).isEqualTo(RateDecision.Scope.ROUTE);
            assertThat(l.subjectId()).isEqualTo("small-model");
            assertThat(l.limitPerMinute()).isEqualTo(2);
        });
        assertThat(limiter.limitedRoutes()).containsExactly("small-model");
        limiter.limitRoute("small-model", RateLimits.NONE);
        assertThat(limiter.tryAcquire("c", "kc", "small-model", 10)).isInstanceOf(RateDecision.Allowed.class);
    }
}
