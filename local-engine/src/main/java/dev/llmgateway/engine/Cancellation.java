package dev.llmgateway.engine;

/**
 * A one-way switch a caller flips (e.g. on client disconnect) to stop a generation or leave the queue.
 * The engine polls it between tokens and while waiting for a slot.
 */
public final class Cancellation {

    private volatile boolean cancelled;

    /** A fresh, not yet cancelled switch. */
    public static Cancellation create() { return new Cancellation(); }

    public void cancel() { cancelled = true; }

    public boolean isCancelled() { return cancelled; }
}
