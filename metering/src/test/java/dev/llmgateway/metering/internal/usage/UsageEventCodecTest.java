package dev.llmgateway.metering.internal.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.metering.DeploymentClass;
import dev.llmgateway.metering.MicroUsd;
import dev.llmgateway.metering.UsageEvent;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class UsageEventCodecTest {
    private static UsageEvent.Builder event(String id) {
        return UsageEvent.builder(id, Instant.parse("2026-12-01T10:00:00.123456Z")).team("t", "k").route("chat", "fixed", null)
                .deployment("primary", "openai", "gpt-4o", DeploymentClass.CLOSED).tokens(10, 20, 0)
                .money(MicroUsd.ofMicros(3), MicroUsd.ofMicros(4), null).timing(120, 30).outcome(200, null);
    }

    @Test
    void theDispatchTrailSurvivesTheJournal() {
        UsageEvent e = event("r1").attempts("primary:503,backup:200").build();
        UsageEvent back = UsageEventCodec.decode(ByteBuffer.wrap(UsageEventCodec.encode(e)));
        assertThat(back).isEqualTo(e);
        assertThat(back.attempts()).isEqualTo("primary:503,backup:200");
    }

    @Test
    void anEventWithoutATrailRoundTripsWithNull() {
        UsageEvent e = event("r2").build();
        UsageEvent back = UsageEventCodec.decode(ByteBuffer.wrap(UsageEventCodec.encode(e)));
        assertThat(back).isEqualTo(e);
        assertThat(back.attempts()).isNull();
    }

    @Test
    void aVersion2RecordStillDecodesWithoutATrail() {
        UsageEvent e = event("r3").attempts("primary:200").build();
        byte[] v3 = UsageEventCodec.encode(e);
        // A version-2 record is the version-3 one without the trailing trail string.
        byte[] trail = "primary:200".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] v2 = java.util.Arrays.copyOf(v3, v3.length - 4 - trail.length);
        v2[0] = 2;
        UsageEvent back = UsageEventCodec.decode(ByteBuffer.wrap(v2));
        assertThat(back.attempts()).isNull();
        assertThat(back.requestId()).isEqualTo("r3");
        assertThat(back.teamChargeMicros()).isEqualTo(MicroUsd.ofMicros(4));
    }

    @Test
    void aCacheHitWithATrailSurvivesTheJournal() {
        UsageEvent e = event("r4").attempts("primary:200").cacheHit(MicroUsd.of(123_456, 6)).build();
        UsageEvent back = UsageEventCodec.decode(ByteBuffer.wrap(UsageEventCodec.encode(e)));
        assertThat(back).isEqualTo(e);
        assertThat(back.cacheHit()).isTrue();
        assertThat(back.cacheSavedMicros()).isEqualTo(MicroUsd.of(123_456, 6));
        assertThat(back.attempts()).isEqualTo("primary:200");
    }

    @Test
    void aVersion2RecordDecodesAsNoCacheHit() {
        UsageEvent e = event("r5").build();
        byte[] v3 = UsageEventCodec.encode(e);
        byte[] v2 = java.util.Arrays.copyOf(v3, v3.length - 4); // without the (null) trail
        v2[0] = 2;
        UsageEvent back = UsageEventCodec.decode(ByteBuffer.wrap(v2));
        assertThat(back.cacheHit()).isFalse();
        assertThat(back.cacheSavedMicros()).isEqualTo(MicroUsd.ZERO);
    }
}
