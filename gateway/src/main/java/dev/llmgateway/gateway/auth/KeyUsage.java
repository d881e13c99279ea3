package dev.llmgateway.gateway.auth;

import dev.llmgateway.metering.TeamStore;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each key was last used, kept off the request path: a request only puts its key id and the time into a map
 * (coalesced: one entry per key however many requests), and {@link #flush} writes the whole map to PostgreSQL in one
 * statement every few seconds. A failed write keeps the entries for the next flush; the column may lag by one interval.
 */
public final class KeyUsage {
    private final TeamStore store;
    private final Clock clock;
    private final ConcurrentHashMap<String, Instant> pending = new ConcurrentHashMap<>();

    public KeyUsage(TeamStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** A request authenticated with this key (cheap: one map write, no I/O). */
    public void used(String keyId) { pending.put(keyId, clock.instant()); }

    /** Writes what was used since the last flush (blocking: call it off the event loop). */
    public void flush() {
        if (pending.isEmpty()) return;
        Map<String, Instant> batch = new HashMap<>();
        for (String id : pending.keySet()) {
            Instant t = pending.remove(id);
            if (t != null) batch.put(id, t);
        }
        try {
            store.touchKeys(batch);
        } catch (RuntimeException e) {
            batch.forEach((id, t) -> pending.merge(id, t, (a, b) -> a.isAfter(b) ? a : b));
            throw e;
        }
    }

    /** Keys waiting to be written (tests, metrics). */
    public int pending() { return pending.size(); }
}
