package dev.llmgateway.gateway.providers.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.engine.Cancellation;
import dev.llmgateway.engine.EngineException;
import dev.llmgateway.engine.EngineMessage;
import dev.llmgateway.engine.FinishReason;
import dev.llmgateway.engine.GenerationRequest;
import dev.llmgateway.engine.GenerationResult;
import dev.llmgateway.engine.LocalEngine;
import dev.llmgateway.engine.TokenSink;
import dev.llmgateway.gateway.providers.TextCompletions;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.api.OpenAiJson;
import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.Completion;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.gateway.providers.ProviderCall;
import dev.llmgateway.gateway.providers.UpstreamStream;
import dev.llmgateway.gateway.providers.Usage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Executor;

/**
 * Open-weight models in this process (llama.cpp through the local-engine library), behind the same interface as the
 * HTTP providers. Generation runs on a virtual thread; tokens are handed to the request's event loop in order.
 */
public final class EmbeddedBackend implements ModelBackend {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final EmbeddedModels models;
    private final Executor blocking;
    private final Vertx vertx;

    public EmbeddedBackend(EmbeddedModels models, Executor blocking, Vertx vertx) {
        this.models = models;
        this.blocking = blocking;
        this.vertx = vertx;
    }

    /**
     * The engine of the call's deployment; a model that is missing, corrupt, not downloaded (yet) fails the call with
     * {@link GatewayError.ModelUnavailable}, which does not count against the circuit breaker and moves on to fallbacks.
     */
    private LocalEngine engine(Deployment d) {
        return switch (models.state(d.name())) {
            case EmbeddedModels.State.Ready r -> r.engine();
            default -> throw new GatewayError.Failure(new GatewayError.ModelUnavailable(d.name(), models.unavailableReason(d.name()).orElse("not ready")));
        };
    }

    @Override
    public Future<Completion> complete(ProviderCall call) { return complete(call, false); }

    @Override
    public Future<UpstreamStream> stream(ProviderCall call) { return stream(call, false); }

    /** Legacy completions: the prompt as it is, no chat template (docs/api-completions.md). */
    @Override
    public Future<Completion> completeText(ProviderCall call) {
        try {
            checkTextCompletion(call);
        } catch (GatewayError.Failure f) {
            return Future.failedFuture(f);
        }
        return complete(call, true).map(TextCompletions::fromChat);
    }

    @Override
    public Future<UpstreamStream> streamText(ProviderCall call) {
        try {
            checkTextCompletion(call);
        } catch (GatewayError.Failure f) {
            return Future.failedFuture(f);
        }
        return stream(call, true).map(TextCompletions::fromChatStream);
    }

    private static void checkTextCompletion(ProviderCall call) {
        TextCompletions.requireSinglePrompt(call, "the embedded engine completes one prompt at a time");
        if (call.chat().choices() > 1) {
            throw new GatewayError.Failure(new GatewayError.BadRequest("deployment '" + call.deployment().name()
                    + "' (embedded) returns one choice per completion; 'n' must be 1", "n"));
        }
    }

    /** One generation: the chat messages through the model's template, or ({@code raw}) the prompt as it is. */
    private static GenerationResult generate(LocalEngine engine, ProviderCall call, boolean raw, TokenSink sink, Cancellation cancel) {
        GenerationRequest req = request(call);
        return raw ? engine.complete(call.deployment().name(), TextCompletions.prompt(call), req, sink, cancel)
                : engine.generate(call.deployment().name(), req, sink, cancel);
    }

    private Future<Completion> complete(ProviderCall call, boolean raw) {
        GenerationRequest req = request(call);
        LocalEngine engine;
        try {
            engine = engine(call.deployment());
        } catch (GatewayError.Failure f) {
            return Future.failedFuture(f);
        }
        return offload(call, cancel -> completion(call, generate(engine, call, raw, piece -> { }, cancel)));
    }

    /** Runs a whole-answer engine call on a blocking thread, cancellable by the client, completing on the caller's context. */
    private Future<Completion> offload(ProviderCall call, java.util.function.Function<Cancellation, Completion> work) {
        Context ctx = vertx.getOrCreateContext();
        Promise<Completion> p = Promise.promise();
        Cancellation cancel = Cancellation.create();
        call.cancel().onCancel(cancel::cancel);
        blocking.execute(() -> {
            try {
                Completion c = work.apply(cancel);
                ctx.runOnContext(v -> p.tryComplete(c));
            } catch (RuntimeException e) {
                ctx.runOnContext(v -> p.tryFail(map(call.deployment(), e)));
            }
        });
        return p.future();
    }

    private Future<UpstreamStream> stream(ProviderCall call, boolean raw) {
        GenerationRequest req = request(call);
        LocalEngine engine;
        try {
            engine = engine(call.deployment());
        } catch (GatewayError.Failure f) {
            return Future.failedFuture(f);
        }
        Stream s = new Stream(call, vertx.getOrCreateContext(), engine, raw);
        blocking.execute(s::run);
        return s.accepted.future();
    }

    /**
     * One generation. The stream counts as accepted at its first token (or its end), so that overload, context and
     * model errors still become proper HTTP statuses, and fallbacks, before anything is sent to the client.
     */
    private final class Stream implements UpstreamStream {
        private final ProviderCall call;
        private final Context ctx;
        private final LocalEngine engine;
        private final boolean raw;
        private final Cancellation cancel = Cancellation.create();
        private final Promise<UpstreamStream> accepted = Promise.promise();
        private final Promise<End> done = Promise.promise();
        private final List<Buffer> pending = new ArrayList<>();
        private final String id;
        private final long created = System.currentTimeMillis() / 1000;
        private ChunkSink sink;
        /** Set on the event loop when the client's write queue is full; the engine's token loop waits while it is. */
        private volatile boolean clientFull;
        private final Object room = new Object();
        private int chars;
        private int promptTokens;
        private int completionPieces;

        Stream(ProviderCall call, Context ctx, LocalEngine engine, boolean raw) {
            this.call = call;
            this.ctx = ctx;
            this.engine = engine;
            this.raw = raw;
            this.id = "chatcmpl-" + call.requestId();
            call.cancel().onCancel(cancel::cancel);
        }

        void run() {
            try {
                GenerationResult r = generate(engine, call, raw, piece -> {
                    awaitRoom();
                    ctx.runOnContext(v -> {
                    chars += piece.length();
                    completionPieces++;
                    if (pending.isEmpty() && sink == null) {
                        ObjectNode delta = F.objectNode().put("role", "assistant").put("content", "");
                        pending.add(chunk(delta, null));
                    }
                    deliver(chunk(F.objectNode().put("content", piece), null));
                    accepted.tryComplete(this);
                    });
                }, cancel);
                ctx.runOnContext(v -> {
                    promptTokens = r.promptTokens();
                    deliver(chunk(F.objectNode(), finishReason(r.finishReason())));
                    if (call.chat().clientWantsUsage()) {
                        ObjectNode u = base();
                        u.putArray("choices");
                        u.set("usage", usageJson(r.promptTokens(), r.completionTokens()));
                        deliver(Buffer.buffer(u.toString()));
                    }
                    accepted.tryComplete(this);
                    done.tryComplete(new End(new Usage(r.promptTokens(), r.completionTokens(), 0, false), finishReason(r.finishReason())));
                });
            } catch (RuntimeException e) {
                ctx.runOnContext(v -> {
                    GatewayError.Failure f = map(call.deployment(), e);
                    if (!accepted.tryFail(f)) done.tryFail(f);
                });
            }
        }

        private void deliver(Buffer chunk) {
            if (sink == null) {
                pending.add(chunk);
                return;
            }
            sink.chunk(chunk);
            if (!clientFull && sink.full()) {
                clientFull = true;
                sink.onDrain(() -> {
                    synchronized (room) {
                        clientFull = false;
                        room.notifyAll();
                    }
                });
            }
        }

        /** Backpressure on the engine thread: wait while the client cannot take more (or until cancelled). */
        private void awaitRoom() {
            if (!clientFull) return;
            synchronized (room) {
                while (clientFull && !cancel.isCancelled()) {
                    try {
                        room.wait(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }

        @Override
        public Future<End> start(ChunkSink sink) {
            pending.forEach(sink::chunk);
            pending.clear();
            this.sink = sink;
            return done.future();
        }

        @Override
        public Usage usageSoFar() {
            // The engine's own counts: completion pieces are generated tokens, exact; the prompt count is known once the
            // engine returned (a cancelled generation returns normally with exact counts). Only before that is it a guess.
            boolean promptKnown = promptTokens > 0;
            return new Usage(promptKnown ? promptTokens : call.chat().estimatedPromptTokens(), completionPieces, 0, !promptKnown);
        }

        @Override
        public void cancel() { cancel.cancel(); }

        private ObjectNode base() { return OpenAiJson.chunkBase(id, created, call.deployment().model()); }

        private Buffer chunk(ObjectNode delta, String finish) {
            return OpenAiJson.chunk(id, created, call.deployment().model(), delta, finish);
        }
    }

    /** {@code /v1/embeddings} from a model loaded with {@code mode: embedding}; see {@link EmbeddedEmbeddings}. */
    @Override
    public Future<Completion> embed(ProviderCall call) {
        LocalEngine engine;
        EmbeddedEmbeddings.Request req;
        try {
            engine = engine(call.deployment());
            req = EmbeddedEmbeddings.validate(call, engine);
        } catch (GatewayError.Failure f) {
            return Future.failedFuture(f);
        }
        return offload(call, cancel -> EmbeddedEmbeddings.run(call, engine, req, cancel));
    }

    static GenerationRequest request(ProviderCall call) {
        ChatRequest chat = call.chat();
        if (chat.usesTools()) {
            throw new GatewayError.Failure(new GatewayError.BadRequest(
                    "deployment '" + call.deployment().name() + "' (embedded) does not support tools", "tools"));
        }
        List<EngineMessage> messages = new ArrayList<>();
        for (JsonNode m : chat.messages()) {
            String role = m.path("role").asText();
            messages.add(new EngineMessage(role.equals("developer") ? "system" : role, ChatRequest.textOf(m.get("content"))));
        }
        ObjectNode raw = chat.raw();
        int maxTokens = chat.maxTokens().orElse(0); // 0: until the context is full, as OpenAI does without max_tokens
        return new GenerationRequest(messages, maxTokens, ChatRequest.stops(raw),
                raw.path("temperature").asDouble(1.0), raw.path("top_p").asDouble(1.0),
                raw.hasNonNull("seed") ? OptionalLong.of(raw.get("seed").asLong()) : OptionalLong.empty(),
                raw.path("presence_penalty").asDouble(0), raw.path("frequency_penalty").asDouble(0));
    }

    private static Completion completion(ProviderCall call, GenerationResult r) {
        ObjectNode out = F.objectNode();
        out.put("id", "chatcmpl-" + call.requestId());
        out.put("object", "chat.completion");
        out.put("created", System.currentTimeMillis() / 1000);
        out.put("model", call.deployment().model());
        ObjectNode choice = out.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", r.text());
        String finish = finishReason(r.finishReason());
        choice.put("finish_reason", finish);
        out.set("usage", usageJson(r.promptTokens(), r.completionTokens()));
        return new Completion(Buffer.buffer(out.toString()), new Usage(r.promptTokens(), r.completionTokens(), 0, false), finish);
    }

    private static ObjectNode usageJson(int prompt, int completion) {
        ObjectNode u = F.objectNode();
        u.put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
        return u;
    }

    private static String finishReason(FinishReason r) {
        return switch (r) {
            case STOP -> "stop";
            case LENGTH -> "length";
            case CANCELLED -> "stop";
        };
    }

    static GatewayError.Failure map(Deployment d, RuntimeException e) {
        if (e instanceof GatewayError.Failure f) return f;
        if (!(e instanceof EngineException ee)) {
            return new GatewayError.Failure(new GatewayError.Internal("the embedded engine failed on '" + d.name() + "'"));
        }
        return new GatewayError.Failure(switch (ee) {
            case EngineException.Overloaded o -> new GatewayError.Overloaded(
                    "deployment '" + d.name() + "' is at capacity; retry shortly", o.retryAfter());
            case EngineException.ContextLengthExceeded c -> new GatewayError.ContextLengthExceeded(c.getMessage());
            case EngineException.ModelUnavailable m -> new GatewayError.ModelUnavailable(d.name(), m.getMessage());
            case EngineException.Unsupported u -> new GatewayError.BadRequest("deployment '" + d.name() + "': " + u.getMessage(), "model");
            default -> new GatewayError.UpstreamUnavailable(d.name(), ee.getMessage());
        });
    }
}
