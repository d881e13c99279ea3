package dev.llmgateway.metering;

/** The usage journal reached its size bound (PostgreSQL is probably unreachable); the record was not accepted. */
public final class JournalFullException extends RuntimeException {
    public JournalFullException(long totalBytes, long maxTotalBytes) {
        super("usage journal full: " + totalBytes + " of " + maxTotalBytes
                + " bytes are waiting to be stored in PostgreSQL; the usage record was not journaled");
    }
}
