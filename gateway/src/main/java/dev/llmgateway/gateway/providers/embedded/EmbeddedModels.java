package dev.llmgateway.gateway.providers.embedded;

import dev.llmgateway.engine.LocalEngine;
import dev.llmgateway.engine.ModelConfig;
import dev.llmgateway.engine.ModelStats;
import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.config.GatewayConfig.EngineModel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The embedded deployments' models, each prepared on its own: a local file is checked at start (exists, GGUF header);
 * a model pinned on Hugging Face is downloaded in the background. A model that is missing, corrupt or not downloadable
 * makes only its own deployment unavailable, with the reason, and is tried again with backoff (a file put in place or
 * a network that comes back is picked up without a restart); the gateway and every other deployment keep serving.
 */
public final class EmbeddedModels implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EmbeddedModels.class);
    static final Duration FIRST_RETRY = Duration.ofSeconds(30);
    static final Duration MAX_RETRY = Duration.ofMinutes(10);

    /** Where one deployment's model is. */
    public sealed interface State {
        /** Being downloaded (or verified) in the background. */
        record Preparing(String what) implements State {}

        /** Checked and served by its own engine (llama.cpp loads the weights on first use unless preloaded). */
        record Ready(LocalEngine engine, Path file) implements State {}

        /** Not servable; {@code reason} is shown to clients (503 model_unavailable), in health and the admin API. */
        record Unavailable(String reason, Instant since, Optional<Instant> nextAttempt) implements State {}
    }

    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final Map<String, Deployment> deployments = new LinkedHashMap<>();
    private final ModelDownloader downloader;
    private final ScheduledExecutorService retries;
    private volatile boolean closed;

    private EmbeddedModels(Collection<Deployment> embedded, ModelDownloader downloader) {
        this.downloader = downloader;
        this.retries = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("embedded-models").factory());
        embedded.forEach(d -> deployments.put(d.name(), d));
    }

    /**
     * Prepares every deployment that has an engine block: local files now (a header check, milliseconds), downloads in
     * the background. Never throws for a model problem.
     *
     * @param downloader null when it could not be configured (e.g. a bad GATEWAY_HF_ENDPOINT): pinned models are then
     *                   unavailable with that reason
     */
    public static EmbeddedModels start(Collection<Deployment> embedded, ModelDownloader downloader, String downloaderProblem) {
        EmbeddedModels models = new EmbeddedModels(embedded, downloader);
        for (Deployment d : models.deployments.values()) {
            EngineModel e = d.engine().orElseThrow();
            if (e.huggingface().isPresent()) {
                if (downloader == null) {
                    models.states.put(d.name(), new State.Unavailable(downloaderProblem, Instant.now(), Optional.empty()));
                    continue;
                }
                var hf = e.huggingface().get();
                models.states.put(d.name(), new State.Preparing("downloading " + hf.repo() + "/" + hf.file() + "@" + hf.revision()
                        + " (progress in the log)"));
                models.retries.execute(() -> models.prepare(d, FIRST_RETRY));
            } else {
                models.prepare(d, FIRST_RETRY);
            }
        }
        return models;
    }

    /** One attempt; on failure the deployment is unavailable and another attempt is scheduled after {@code backoff}. */
    private void prepare(Deployment d, Duration backoff) {
        if (closed) return;
        EngineModel e = d.engine().orElseThrow();
        try {
            Path file = e.huggingface().map(downloader::resolve).orElse(e.path());
            ModelConfig model = new ModelConfig(d.name(), file, e.contextSize(), e.threads(),
                    e.parallelSlots(), e.maxQueued(), e.gpuLayers(), e.idleUnload(), e.preload(), e.chatTemplate());
            if (e.embedding()) {
                model = model.asEmbedding(e.pooling().map(p -> ModelConfig.Pooling.valueOf(p.toUpperCase(java.util.Locale.ROOT))));
            }
            LocalEngine engine = LocalEngine.start(java.util.List.of(model));
            synchronized (this) {
                if (closed) {
                    engine.close();
                    return;
                }
                states.put(d.name(), new State.Ready(engine, file));
            }
            LOG.infof("Embedded model for deployment '%s' is ready (%s)", d.name(), file);
        } catch (RuntimeException ex) {
            String reason = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            Instant next = Instant.now().plus(backoff);
            states.put(d.name(), new State.Unavailable(reason, Instant.now(), Optional.of(next)));
            LOG.errorf("Deployment '%s' is unavailable: %s. Its routes answer 503 model_unavailable (or use their fallbacks); "
                    + "every other route serves. Next attempt in %d s.", d.name(), reason, backoff.toSeconds());
            if (!closed) {
                Duration nextBackoff = backoff.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : backoff.multipliedBy(2);
                retries.schedule(() -> prepare(d, nextBackoff), backoff.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** The engine serving this deployment, or why there is none. */
    public State state(String deployment) {
        State s = states.get(deployment);
        return s != null ? s : new State.Unavailable("deployment '" + deployment + "' has no embedded model", Instant.now(), Optional.empty());
    }

    /** Every embedded deployment's state, in configuration order. */
    public Map<String, State> states() {
        Map<String, State> out = new LinkedHashMap<>();
        deployments.keySet().forEach(n -> out.put(n, state(n)));
        return out;
    }

    /** Slots and queue of a ready model; empty while it is not ready. */
    public Optional<ModelStats> stats(String deployment) {
        return state(deployment) instanceof State.Ready r ? Optional.of(r.engine().stats(deployment)) : Optional.empty();
    }

    /** Why this deployment cannot serve now, or empty when it can. */
    public Optional<String> unavailableReason(String deployment) {
        return switch (state(deployment)) {
            case State.Ready r -> Optional.empty();
            case State.Preparing p -> Optional.of("its model is not ready yet: " + p.what());
            case State.Unavailable u -> Optional.of(u.reason());
        };
    }

    /** Text for health checks and logs. */
    public static String describe(State s) {
        return switch (s) {
            case State.Ready r -> {
                ModelStats st = null;
                for (String m : r.engine().models()) st = r.engine().stats(m);
                yield st == null ? "ready" : (st.loaded() ? "loaded" : "not loaded") + ", " + st.busySlots() + "/" + st.slots()
                        + " slots busy, " + st.queued() + " queued";
            }
            case State.Preparing p -> "preparing: " + p.what();
            case State.Unavailable u -> "unavailable: " + u.reason();
        };
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        retries.shutdownNow();
        states.values().forEach(s -> {
            if (s instanceof State.Ready r) r.engine().close();
        });
    }
}
