package dev.llmgateway.gateway.providers;

import java.util.ArrayList;
import java.util.List;

/** Fired when the client goes away: every registered action (reset an upstream request, stop generation) runs once. */
public final class CancelToken {
    private final List<Runnable> actions = new ArrayList<>();
    private boolean cancelled;

    /** Registers an action; runs it at once if the token already fired. */
    public void onCancel(Runnable action) {
        boolean runNow;
        synchronized (this) {
            runNow = cancelled;
            if (!runNow) actions.add(action);
        }
        if (runNow) action.run();
    }

    public void cancel() {
        List<Runnable> toRun;
        synchronized (this) {
            if (cancelled) return;
            cancelled = true;
            toRun = List.copyOf(actions);
            actions.clear();
        }
        toRun.forEach(Runnable::run);
    }

    public synchronized boolean isCancelled() { return cancelled; }
}
