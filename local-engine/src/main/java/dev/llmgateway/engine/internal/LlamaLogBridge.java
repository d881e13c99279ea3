package dev.llmgateway.engine.internal;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.LogLevel;
import de.kherud.llama.args.LogFormat;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;

/**
 * Routes llama.cpp's log to our logger at DEBUG.
 * <p>
 * Two quirks of de.kherud:llama 4.2.0 shape this class. Loading a model re-initialises llama.cpp's log
 * (common_init), which replaces our callback, so it is installed again after each load. And replacing the
 * callback frees the previous JNI reference, which a native thread that is logging at that moment could
 * still use; so the callback is only replaced while no generation runs ({@link #nativeActivity()}: generations
 * hold the read lock, the swap needs the write lock and is skipped when it cannot get it at once).
 * The server part of llama.cpp logs through another channel that cannot be routed; models are loaded
 * with {@code --log-disable} so it stays off stderr.
 */
public final class LlamaLogBridge {

    private static final Logger LOG = System.getLogger("dev.llmgateway.engine.llama");
    private static final ReadWriteLock NATIVE_ACTIVITY = new ReentrantReadWriteLock();
    private static final BiConsumer<LogLevel, String> CALLBACK = (level, message) -> {
        if (!LOG.isLoggable(Level.DEBUG) || message == null) return;
        String text = message.strip();
        if (!text.isEmpty() && !text.equals(".")) LOG.log(Level.DEBUG, "[llama.cpp %s] %s".formatted(level, text));
    };

    private LlamaLogBridge() {}

    /** Held (read) by every running generation; see the class comment. */
    public static ReadWriteLock nativeActivity() { return NATIVE_ACTIVITY; }

    private static volatile boolean pending = true;

    /** Called after a model load replaced the callback; installs ours now if quiet, else later. */
    public static void afterLoad() {
        pending = true;
        installIfPending();
    }

    /** Installs our callback if it is due and no generation is running (called periodically too). */
    public static void installIfPending() {
        if (!pending || !NATIVE_ACTIVITY.writeLock().tryLock()) return;
        try {
            LlamaModel.setLogger(LogFormat.TEXT, CALLBACK);
            pending = false;
        } finally {
            NATIVE_ACTIVITY.writeLock().unlock();
        }
    }
}
