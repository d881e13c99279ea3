package dev.llmgateway.routing.internal;

/**
 * A 64-bit hash that is identical on every JVM and release (unlike {@code String.hashCode}, which is only
 * 32 bits and not meant for bucketing): FNV-1a over the UTF-16 code units of each part, parts separated by
 * the non-character U+FFFF, finished with MurmurHash3's fmix64 avalanche. Changing it moves users between
 * buckets, so it is frozen; see the golden values in the tests.
 */
public final class StableHash {
    private static final long OFFSET = 0xcbf29ce484222325L;
    private static final long PRIME = 0x100000001b3L;

    private StableHash() {
    }

    public static long hash(String a, String b) {
        long h = feed(OFFSET, a);
        h = (h ^ 0xFFFF) * PRIME;
        return fmix64(feed(h, b));
    }

    public static long hash(String a, String b, String c) {
        long h = feed(OFFSET, a);
        h = (h ^ 0xFFFF) * PRIME;
        h = feed(h, b);
        h = (h ^ 0xFFFF) * PRIME;
        return fmix64(feed(h, c));
    }

    /** Maps a hash uniformly onto {@code [0, n)} (multiply-high, no modulo bias worth mentioning). */
    public static long bucket(long hash, long n) {
        return Math.unsignedMultiplyHigh(hash, n);
    }

    /** A hash as a fraction in [0,1). */
    public static double unitFraction(long hash) {
        return (hash >>> 11) * 0x1.0p-53;
    }

    private static long feed(long h, String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            h = (h ^ s.charAt(i)) * PRIME;
        }
        return h;
    }

    static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
