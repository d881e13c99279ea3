package dev.llmgateway.gateway.runtime;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Runs blocking work (JDBC, the engine) off the event loop, on virtual threads. */
public final class Blocking implements Executor, AutoCloseable {
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Vertx vertx;

    public Blocking(Vertx vertx) { this.vertx = vertx; }

    /** Runs {@code work} on a virtual thread; the future completes on the caller's Vert.x context. */
    public <T> Future<T> call(Callable<T> work) {
        return Future.fromCompletionStage(CompletableFuture.supplyAsync(() -> {
            try {
                return work.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, executor), Objects.requireNonNullElseGet(Vertx.currentContext(), vertx::getOrCreateContext));
    }

    @Override
    public void execute(Runnable command) { executor.execute(command); }

    @Override
    public void close() { executor.shutdown(); }
}
