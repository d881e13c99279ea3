package dev.llmgateway.metering;

/** A place in the usage journal: segment number and byte offset in it; ordered by segment, then offset. */
public record JournalPosition(long segment, long offset) implements Comparable<JournalPosition> {
    @Override
    public int compareTo(JournalPosition o) {
        int c = Long.compare(segment, o.segment);
        return c != 0 ? c : Long.compare(offset, o.offset);
    }
}
