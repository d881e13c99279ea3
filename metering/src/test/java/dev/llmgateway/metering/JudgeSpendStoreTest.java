package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class JudgeSpendStoreTest {
    private final DataSource db = TestDatabase.fresh();

    @Test
    void twoReplicasAddToOneDailySpendPerRoute() throws Exception {
        JudgeSpendStore a = new JudgeSpendStore(db), b = new JudgeSpendStore(db);
        LocalDate day = LocalDate.parse("2026-05-12");
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            JudgeSpendStore s = t % 2 == 0 ? a : b;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 50; i++) s.add("chat", day, 3);
            }));
        }
        for (Thread t : threads) t.join();
        assertThat(a.spent("chat", day)).isEqualTo(600);
        assertThat(b.spent("chat", day.plusDays(1))).isZero();
        assertThat(b.spent("other", day)).isZero();
    }
}
