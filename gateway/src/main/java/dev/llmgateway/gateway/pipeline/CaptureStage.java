package dev.llmgateway.gateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.config.GatewayConfig.DeploymentClass;
import dev.llmgateway.metering.DatasetDefinition;
import dev.llmgateway.metering.DatasetMessage;
import dev.llmgateway.metering.DatasetStore;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.jboss.logging.Logger;

/**
 * Opt-in dataset capture: for routes named by a configured dataset, a sampled share of answered requests served by a
 * closed deployment is stored (redacted first) as fine-tuning data for the open model meant to take over the route.
 * Runs after the answer, off the client's path. Off unless gateway.yaml declares datasets.
 */
public final class CaptureStage implements Stage {
    private static final Logger LOG = Logger.getLogger(CaptureStage.class);

    private final List<DatasetDefinition> datasets;
    private final DatasetStore store;
    private final Executor blocking;

    public CaptureStage(List<DatasetDefinition> datasets, DatasetStore store, Executor blocking) {
        this.datasets = List.copyOf(datasets);
        this.store = store;
        this.blocking = blocking;
    }

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        if (x.kind() != Exchange.Kind.CHAT) return next.proceed(x);
        List<DatasetDefinition> mine = datasets.stream().filter(d -> d.captures(x.requestId(), x.plan().route())).toList();
        if (mine.isEmpty()) return next.proceed(x);
        x.keepOutputText();
        return next.proceed(x).andThen(ar -> {
            // A response-cache hit repeats an answer already captured (or not sampled) when it was first produced.
            if (!ar.succeeded() || !(ar.result() instanceof Outcome.Answered) || x.served() == null || x.fromCache()
                    || x.served().deploymentClass() != DeploymentClass.CLOSED || x.outputText().isEmpty()) {
                return;
            }
            List<DatasetMessage> messages = new ArrayList<>();
            for (JsonNode m : x.chat().messages()) {
                messages.add(new DatasetMessage(m.path("role").asText(), ChatRequest.textOf(m.get("content"))));
            }
            String completion = x.outputText();
            blocking.execute(() -> {
                for (DatasetDefinition d : mine) {
                    try {
                        store.capture(d, x.requestId(), x.team().id(), x.plan().route(), messages, completion, Instant.now());
                    } catch (RuntimeException e) {
                        LOG.warnf("capture of %s into %s failed: %s", x.requestId(), d.name(), e.getMessage());
                    }
                }
            });
        });
    }
}
