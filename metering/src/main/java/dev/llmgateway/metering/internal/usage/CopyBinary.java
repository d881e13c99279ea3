package dev.llmgateway.metering.internal.usage;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * Rows in PostgreSQL's binary COPY format ({@code COPY ... FROM STDIN (FORMAT binary)}): a signature and header, then
 * per row a field count and per field its length (-1 for NULL) and bytes in the type's binary send format, then a
 * trailer. PostgreSQL then does no text parsing of times and numbers. Encodes exactly what the text format gave:
 * {@code timestamptz} in microseconds, {@code numeric} exact (base-10000 digits with the value's own scale), text as UTF-8 (a NUL is refused by
 * PostgreSQL as it is in the text format, so such a record still becomes a dead letter).
 */
final class CopyBinary {
    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    /** 2000-01-01T00:00:00Z, PostgreSQL's epoch for timestamps, in Unix seconds. */
    private static final long PG_EPOCH_SECONDS = 946_684_800L;
    private static final BigInteger NBASE = BigInteger.valueOf(10_000);

    private byte[] buf;
    private int len;

    CopyBinary(int expectedBytes) {
        buf = new byte[Math.max(64, expectedBytes)];
        put(HEADER, 0, HEADER.length);
    }

    CopyBinary row(int fields) {
        return int16(fields);
    }

    CopyBinary text(String s) {
        if (s == null) return int32(-1);
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int32(b.length);
        put(b, 0, b.length);
        return this;
    }

    CopyBinary int8(long v) {
        int32(8);
        return int64(v);
    }

    CopyBinary int4(Integer v) {
        if (v == null) return int32(-1);
        int32(4);
        return int32(v);
    }

    CopyBinary bool(boolean v) {
        int32(1);
        ensure(1);
        buf[len++] = (byte) (v ? 1 : 0);
        return this;
    }

    CopyBinary timestamptz(Instant t) {
        int32(8);
        return int64(micros(t));
    }

    /**
     * Microseconds since PostgreSQL's epoch. A {@code UsageEvent} time is whole microseconds already; a finer one is
     * rounded as {@code timestamptz_in} rounds a text fraction ({@code rint} of the fraction in microseconds).
     */
    static long micros(Instant t) {
        int nanos = t.getNano();
        long fraction = nanos % 1000 == 0 ? nanos / 1000 : (long) Math.rint((nanos / 1e9) * 1_000_000);
        return (t.getEpochSecond() - PG_EPOCH_SECONDS) * 1_000_000L + fraction;
    }

    /** A numeric in {@code numeric_send} form: digit count, weight, sign, display scale, base-10000 digits. */
    CopyBinary numeric(BigDecimal v) {
        if (v == null) return int32(-1);
        int dscale = Math.max(0, v.scale());
        int fracGroups = (dscale + 3) / 4;
        if (v.signum() == 0) {
            int32(8);
            return int16(0).int16(0).int16(0).int16(dscale);
        }
        BigInteger u = v.abs().setScale(fracGroups * 4).unscaledValue(); // exact: the scale only grows (or a negative one becomes 0)
        short[] lsFirst = new short[u.bitLength() / 13 + 2];              // 10000 > 2^13: at most this many groups
        int n = 0;
        while (u.signum() > 0) {
            BigInteger[] qr = u.divideAndRemainder(NBASE);
            lsFirst[n++] = qr[1].shortValue();
            u = qr[0];
        }
        int trailingZeros = 0;
        while (trailingZeros < n && lsFirst[trailingZeros] == 0) trailingZeros++;
        int digits = n - trailingZeros;
        int weight = n - fracGroups - 1;
        int32(8 + 2 * digits);
        int16(digits).int16(weight).int16(v.signum() < 0 ? 0x4000 : 0).int16(dscale);
        for (int i = n - 1; i >= trailingZeros; i--) int16(lsFirst[i]);
        return this;
    }

    /** The whole COPY data, trailer included (read in place, not copied). */
    java.io.InputStream finish() {
        int16(-1);
        return new java.io.ByteArrayInputStream(buf, 0, len);
    }

    private CopyBinary int16(int v) {
        ensure(2);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
        return this;
    }

    private CopyBinary int32(int v) {
        ensure(4);
        buf[len++] = (byte) (v >>> 24);
        buf[len++] = (byte) (v >>> 16);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
        return this;
    }

    private CopyBinary int64(long v) {
        int32((int) (v >>> 32));
        return int32((int) v);
    }

    private void put(byte[] b, int off, int n) {
        ensure(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    private void ensure(int n) {
        if (len + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }
}
