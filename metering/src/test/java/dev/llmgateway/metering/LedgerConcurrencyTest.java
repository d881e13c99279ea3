package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class LedgerConcurrencyTest {
    @Test
    void concurrentPostersOfOverlappingBatchesPostEachRequestExactlyOnce() throws Exception {
        LedgerFixtures f = new LedgerFixtures();
        f.license("meta", "llama", LedgerFixtures.mauThreshold(10, 1000));
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            events.add(LedgerFixtures.open("r" + i, "2025-01-01T00:00:00Z", i % 3 == 0 ? "globex" : "acme", "u" + (i % 25),
                    "llama", 1000 + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<LedgerPoster.PostReport>> reports = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t * 50;
                reports.add(pool.submit(() -> {
                    LedgerPoster own = new LedgerPoster(f.db);
                    LedgerPoster.PostReport total = LedgerPoster.PostReport.EMPTY;
                    for (int i = offset; i < events.size(); i += 37) {
                        LedgerPoster.PostReport r = own.post(events.subList(i, Math.min(events.size(), i + 60)));
                        total = new LedgerPoster.PostReport(total.posted() + r.posted(), 0, 0, List.of());
                    }
                    return total;
                }));
            }
            int posted = 0;
            for (Future<LedgerPoster.PostReport> r : reports) posted += r.get().posted();
            posted += f.poster.post(events).posted();
            assertThat(posted).isEqualTo(400);
        } finally {
            pool.shutdownNow();
        }
        assertThat(f.scalar("SELECT count(*) FROM ledger_transactions WHERE kind = 'usage'")).isEqualTo(400);
        assertThat(f.scalar("SELECT active_users FROM license_period_figures")).isEqualTo(50);
        Statement jan = f.statements(Instant.parse("2025-06-01T00:00:00Z")).close(YearMonth.of(2025, 1)).statements().getFirst();
        MicroUsd charges = events.stream().map(UsageEvent::teamChargeMicros).reduce(MicroUsd.ZERO, MicroUsd::plus);
        assertThat(jan.billedMicros()).isEqualTo(charges);
        // 50 users > 10: the whole month owes 10% of every charge, exactly.
        MicroUsd expectedShare = events.stream().map(e -> RevenueShare.share(new LicenseObligation(1000, 0, 0), e.teamChargeMicros(), 0))
                .reduce(MicroUsd.ZERO, MicroUsd::plus);
        assertThat(jan.shareMicros()).isEqualTo(expectedShare);
        assertThat(f.ledger.trialBalance().balanced()).isTrue();
        assertThat(Set.copyOf(f.ledger.balances().keySet())).contains("team:acme:receivable", "team:globex:receivable");
    }
}
