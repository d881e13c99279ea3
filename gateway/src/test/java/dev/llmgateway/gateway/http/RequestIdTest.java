package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RequestIdTest {
    @Test
    void idsCarryTheirMillisecondFirstSoTheySortByTimeAndNeverRepeat() throws Exception {
        long before = System.currentTimeMillis();
        String first = ApiRoutes.newRequestId();
        assertThat(first).matches("req_[0-9a-f]{32}");
        long ms = Long.parseLong(first.substring(4, 16), 16);
        assertThat(ms).isBetween(before, System.currentTimeMillis());

        Set<String> seen = new HashSet<>();
        String previous = first;
        for (int i = 0; i < 100_000; i++) {
            String id = ApiRoutes.newRequestId();
            assertThat(seen.add(id)).as("unique").isTrue();
            // Never earlier than an id made before it (ids of the same millisecond are in random order after the time).
            assertThat(id.substring(0, 16).compareTo(previous.substring(0, 16))).isGreaterThanOrEqualTo(0);
            previous = id;
        }
        Thread.sleep(2);
        assertThat(ApiRoutes.newRequestId().compareTo(previous)).as("a later millisecond sorts after").isPositive();
    }
}
