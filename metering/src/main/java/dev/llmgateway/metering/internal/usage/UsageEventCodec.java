package dev.llmgateway.metering.internal.usage;

import dev.llmgateway.metering.DeploymentClass;
import dev.llmgateway.metering.MicroUsd;
import dev.llmgateway.metering.TokenSource;
import dev.llmgateway.metering.UsageEvent;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The journal's binary form of a {@link UsageEvent}. Strings: int length (-1 = null) + UTF-8. Version 2 writes money
 * exactly (each amount: int length (-1 = null) + big-endian two's-complement unscaled value at {@link MicroUsd#SCALE})
 * and the token source; version 1 (whole micro-USD as longs, counts from the provider) is still read, so a journal
 * written before the upgrade replays. Version 3 appends, after the flags, the dispatch trail (a string) and, for an
 * answer from the response cache (flag 8), the provider cost it avoided (an amount); versions 1 and 2 decode with no
 * trail and no cache hit.
 */
public final class UsageEventCodec {
    private static final byte VERSION_1 = 1, VERSION_2 = 2, VERSION = 3;
    private static final int FLAG_STREAMED = 1, FLAG_SHADOW = 2, FLAG_TTFT = 4, FLAG_CACHE_HIT = 8;

    private UsageEventCodec() {}

    public static byte[] encode(UsageEvent e) {
        byte[][] strings = {
            utf8(e.requestId()), utf8(e.teamId()), utf8(e.keyId()), utf8(e.endUser()), utf8(e.route()),
            utf8(e.policy()), utf8(e.stage()), utf8(e.deployment()), utf8(e.provider()), utf8(e.upstreamModel()),
            utf8(e.errorCode()), utf8(e.licenseId())
        };
        byte[][] money = {amount(e.providerCostMicros()), amount(e.teamChargeMicros()), amount(e.baselineCostMicros())};
        byte[] attempts = utf8(e.attempts());
        byte[] saved = e.cacheHit() ? amount(e.cacheSavedMicros()) : null;
        int size = 1 + 8 + 1 + 3 * 8 + 1 + 4 * 3 + 1 + 4 + (attempts == null ? 0 : attempts.length)
                + (saved == null ? 0 : 4 + saved.length);
        for (byte[] s : strings) size += 4 + (s == null ? 0 : s.length);
        for (byte[] m : money) size += 4 + (m == null ? 0 : m.length);
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(VERSION);
        for (byte[] s : strings) {
            if (s == null) {
                b.putInt(-1);
            } else {
                b.putInt(s.length).put(s);
            }
        }
        b.putLong(epochMicros(e.time()));
        b.put((byte) e.deploymentClass().ordinal());
        b.putLong(e.promptTokens()).putLong(e.completionTokens()).putLong(e.cachedTokens());
        b.put((byte) e.tokenSource().ordinal());
        for (byte[] m : money) {
            if (m == null) b.putInt(-1);
            else b.putInt(m.length).put(m);
        }
        b.putInt(e.latencyMs()).putInt(e.ttftMs() == null ? 0 : e.ttftMs()).putInt(e.httpStatus());
        b.put((byte) ((e.streamed() ? FLAG_STREAMED : 0) | (e.shadow() ? FLAG_SHADOW : 0) | (e.ttftMs() != null ? FLAG_TTFT : 0)
                | (e.cacheHit() ? FLAG_CACHE_HIT : 0)));
        if (attempts == null) b.putInt(-1);
        else b.putInt(attempts.length).put(attempts);
        if (saved != null) b.putInt(saved.length).put(saved);
        return b.array();
    }

    public static UsageEvent decode(ByteBuffer b) {
        byte version = b.get();
        if (version != VERSION && version != VERSION_2 && version != VERSION_1) throw new IllegalArgumentException("unknown usage record version " + version);
        String[] s = new String[12];
        for (int i = 0; i < s.length; i++) s[i] = string(b);
        Instant time = fromEpochMicros(b.getLong());
        DeploymentClass cls = DeploymentClass.values()[b.get()];
        long prompt = b.getLong(), completion = b.getLong(), cached = b.getLong();
        TokenSource source;
        MicroUsd provider, charge, baseline;
        if (version == VERSION_1) {
            source = TokenSource.PROVIDER;
            provider = MicroUsd.ofMicros(b.getLong());
            charge = MicroUsd.ofMicros(b.getLong());
            baseline = MicroUsd.ofMicros(b.getLong());
        } else {
            source = TokenSource.values()[b.get()];
            provider = amount(b);
            charge = amount(b);
            baseline = amount(b);
        }
        int latency = b.getInt(), ttft = b.getInt(), status = b.getInt();
        int flags = b.get();
        String attempts = version == VERSION ? string(b) : null;
        boolean cacheHit = version == VERSION && (flags & FLAG_CACHE_HIT) != 0;
        MicroUsd saved = cacheHit ? amount(b) : MicroUsd.ZERO;
        return new UsageEvent(s[0], time, s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], cls, prompt,
                completion, cached, source, provider, charge, baseline, latency, (flags & FLAG_TTFT) != 0 ? ttft : null,
                status, s[10], (flags & FLAG_STREAMED) != 0, (flags & FLAG_SHADOW) != 0, s[11], attempts, cacheHit, saved);
    }

    public static long epochMicros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    public static Instant fromEpochMicros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }

    private static byte[] amount(MicroUsd m) { return m == null ? null : m.unscaled().toByteArray(); }

    private static MicroUsd amount(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0) return null;
        byte[] bytes = new byte[n];
        b.get(bytes);
        return MicroUsd.ofUnscaled(new BigInteger(bytes));
    }

    private static byte[] utf8(String s) { return s == null ? null : s.getBytes(StandardCharsets.UTF_8); }

    private static String string(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0) return null;
        String s = new String(b.array(), b.arrayOffset() + b.position(), n, StandardCharsets.UTF_8);
        b.position(b.position() + n);
        return s;
    }
}
