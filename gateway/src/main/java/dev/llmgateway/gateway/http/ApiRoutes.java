package dev.llmgateway.gateway.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.GatewaySettings;
import dev.llmgateway.gateway.errors.ErrorResponses;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.pipeline.Exchange;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/** The OpenAI-compatible HTTP surface under /v1, on the Vert.x router: reads the body, runs the pipeline, writes errors. */
@ApplicationScoped
public class ApiRoutes {
    private static final Logger LOG = Logger.getLogger(ApiRoutes.class);
    private static final Pattern CLIENT_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long DRAIN_FACTOR = 4;
    @Inject dev.llmgateway.gateway.runtime.RuntimeSnapshots snapshots;
    @Inject dev.llmgateway.gateway.auth.Authenticator authenticator;
    @Inject GatewaySettings settings;

    void routes(@Observes Router router) {
        router.post("/v1/chat/completions").handler(ctx -> run(ctx, Exchange.Kind.CHAT, Inbound.OPENAI));
        router.post("/v1/completions").handler(ctx -> run(ctx, Exchange.Kind.COMPLETIONS, Inbound.OPENAI));
        router.post("/v1/embeddings").handler(ctx -> run(ctx, Exchange.Kind.EMBEDDINGS, Inbound.OPENAI));
        router.post("/v1/messages").handler(ctx -> run(ctx, Exchange.Kind.CHAT, Inbound.ANTHROPIC_MESSAGES));
        router.post("/v1/responses").handler(ctx -> run(ctx, Exchange.Kind.CHAT, Inbound.RESPONSES));
        router.get("/v1/models").handler(this::models);
        router.get("/v1/models/*").handler(this::models);
        // Anything else under /v1/messages (another method, count_tokens, batches) answers in Anthropic's error format,
        // which is what an Anthropic SDK there can read.
        router.route("/v1/messages*").handler(ctx -> writeError(ctx.response(), requestId(ctx.request()),
                new GatewayError.NotFound("Unknown endpoint " + ctx.request().method() + " " + ctx.request().path()), Inbound.ANTHROPIC_MESSAGES));
        router.route("/v1/*").last().handler(ctx -> writeError(ctx.response(), requestId(ctx.request()),
                new GatewayError.NotFound("Unknown endpoint " + ctx.request().method() + " " + ctx.request().path())));
    }

    private void run(RoutingContext ctx, Exchange.Kind kind, Inbound inbound) {
        HttpServerRequest req = ctx.request();
        String requestId = newRequestId();
        Optional<String> clientRequestId = clientRequestId(req);
        Optional<GatewayError> refused = inbound.checkHeaders(req);
        if (refused.isPresent()) {
            writeError(ctx.response(), clientRequestId.orElse(requestId), refused.get(), inbound);
            return;
        }
        readBody(req, settings.maxBodyBytes()).onComplete(body -> {
            dev.llmgateway.gateway.edge.EdgeGuard.bodyRead(ctx);
            if (body.failed()) {
                GatewayError err = body.cause() instanceof GatewayError.Failure f ? f.error() : new GatewayError.BadRequest("could not read the request body", null);
                writeError(ctx.response(), clientRequestId.orElse(requestId), err, inbound);
                return;
            }
            Inbound.Translated translated;
            try {
                translated = inbound.translate(body.result(), requestId, ctx.response());
            } catch (GatewayError.Failure f) {
                writeError(ctx.response(), clientRequestId.orElse(requestId), f.error(), inbound);
                return;
            }
            Map<String, String> hints = new LinkedHashMap<>();
            String task = req.getHeader(dev.llmgateway.gateway.pipeline.RouteStage.TASK_HEADER);
            if (task != null && task.length() <= 64) hints.put(dev.llmgateway.gateway.pipeline.RouteStage.TASK_HEADER, task);
            Exchange x = new Exchange(requestId, clientRequestId, kind, translated.chatBody(), inbound.authorization(req),
                    hints, translated.channel());
            // The request runs on the snapshot current now, whatever reloads happen meanwhile.
            snapshots.current().pipeline().run(x).onComplete(ar -> {
                GatewayError err = null;
                if (ar.succeeded() && ar.result() instanceof dev.llmgateway.gateway.pipeline.Outcome.Failed failed) {
                    err = failed.error();
                } else if (ar.failed()) {
                    if (ar.cause() instanceof GatewayError.Failure f) {
                        err = f.error();
                    } else {
                        LOG.errorf(ar.cause(), "request %s failed unexpectedly", requestId);
                        err = new GatewayError.Internal("internal error; reference " + requestId);
                    }
                }
                if (err != null && !x.client().committed()) {
                    Map<String, String> headers = new LinkedHashMap<>(x.responseHeaders());
                    write(ctx.response(), headers, err, inbound);
                }
            });
        });
    }

    /**
     * {@code GET /v1/models} lists the routes the key may use, {@code GET /v1/models/{id}} retrieves one (what
     * {@code client.models.retrieve} of the OpenAI SDKs calls; an id may hold slashes, e.g. {@code meta-llama/x}).
     * A route the key may not use is reported as missing, the same answer as an unknown one.
     */
    private void models(RoutingContext ctx) {
        String requestId = requestId(ctx.request());
        String path = ctx.request().path();
        boolean one = path.startsWith("/v1/models/");
        String wanted = one ? decodedPathPart(path.substring("/v1/models/".length())) : null;
        authenticator.authenticate(Optional.ofNullable(ctx.request().getHeader("authorization"))).onComplete(ar -> {
            if (ar.failed()) {
                writeError(ctx.response(), requestId, ar.cause() instanceof GatewayError.Failure f ? f.error()
                        : new GatewayError.Internal("internal error"));
                return;
            }
            var allowed = ar.result().key().allowedRoutes();
            var routes = snapshots.current().config().routes();
            ObjectNode out;
            if (one) {
                if (wanted == null || wanted.isEmpty() || !routes.containsKey(wanted) || (allowed.isPresent() && !allowed.get().contains(wanted))) {
                    String shown = wanted == null ? "" : wanted.length() > 256 ? wanted.substring(0, 256) + "..." : wanted;
                    writeError(ctx.response(), requestId, new GatewayError.ModelNotFound(shown));
                    return;
                }
                out = modelObject(JsonNodeFactory.instance.objectNode(), wanted);
            } else {
                out = JsonNodeFactory.instance.objectNode();
                out.put("object", "list");
                ArrayNode data = out.putArray("data");
                for (String route : routes.keySet().stream().sorted().toList()) {
                    if (allowed.isPresent() && !allowed.get().contains(route)) continue;
                    modelObject(data.addObject(), route);
                }
            }
            ctx.response().putHeader("x-request-id", requestId).putHeader("content-type", "application/json").end(out.toString());
        });
    }

    private static ObjectNode modelObject(ObjectNode into, String route) {
        return into.put("id", route).put("object", "model").put("created", 0).put("owned_by", "gateway");
    }

    /** The percent-decoded text of a raw path segment (a '+' stays a '+'), or null when it is not valid. */
    private static String decodedPathPart(String raw) {
        try {
            return new java.net.URI("http://gateway/" + raw).getPath().substring(1);
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Reads the body up to {@code limit} bytes. A larger body fails with 413: it is not buffered, but up to
     * {@link #DRAIN_FACTOR} times the limit is read and discarded so the client can read the answer on a healthy
     * connection; beyond that the connection is closed after the answer.
     */
    static Future<Buffer> readBody(HttpServerRequest req, long limit) {
        String declared = req.getHeader("content-length");
        long length = -1;
        if (declared != null) {
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                return Future.failedFuture(new GatewayError.Failure(new GatewayError.BadRequest("invalid Content-Length", null)));
            }
        }
        if (length > limit * DRAIN_FACTOR) {
            req.response().putHeader("connection", "close");
            return Future.failedFuture(new GatewayError.Failure(new GatewayError.PayloadTooLarge(limit)));
        }
        Promise<Buffer> p = Promise.promise();
        // Grown as bytes arrive: a declared length is a claim, not a reason to allocate.
        Buffer body = Buffer.buffer((int) Math.min(Math.max(length, 1024), Math.min(limit, 64 * 1024)));
        long[] seen = {0};
        req.handler(chunk -> {
            seen[0] += chunk.length();
            if (seen[0] > limit * DRAIN_FACTOR) {
                req.response().putHeader("connection", "close");
                p.tryFail(new GatewayError.Failure(new GatewayError.PayloadTooLarge(limit)));
            } else if (seen[0] <= limit) {
                body.appendBuffer(chunk);
            }
        });
        req.exceptionHandler(p::tryFail);
        req.endHandler(v -> {
            if (seen[0] > limit) p.tryFail(new GatewayError.Failure(new GatewayError.PayloadTooLarge(limit)));
            else p.tryComplete(body);
        });
        return p.future();
    }

    /** The request id the client sent, if it is a sensible one; echoed back, never used as a key. */
    static Optional<String> clientRequestId(HttpServerRequest req) {
        String given = req.getHeader("x-request-id");
        return given != null && CLIENT_REQUEST_ID.matcher(given).matches() ? Optional.of(given) : Optional.empty();
    }

    public static String requestId(HttpServerRequest req) { return clientRequestId(req).orElseGet(ApiRoutes::newRequestId); }

    /**
     * A new gateway request id, unique, so a client reusing its own ids can never merge two usage records:
     * {@code req_} + 12 hex digits of the current time in milliseconds + 20 random hex digits (80 bits from
     * {@link SecureRandom}: no collision between replicas sharing a database in any realistic lifetime). Time first, so
     * new ids sort after older ones and their usage rows go in at the right edge of the request-id indexes instead of
     * at random places in them (~6 µs less PostgreSQL CPU per row, docs/benchmarks.md).
     */
    static String newRequestId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        long ms = System.currentTimeMillis();
        for (int i = 0; i < 6; i++) b[i] = (byte) (ms >>> (40 - 8 * i));
        return "req_" + HexFormat.of().formatHex(b);
    }

    static void writeError(HttpServerResponse response, String requestId, GatewayError err) {
        writeError(response, requestId, err, Inbound.OPENAI);
    }

    private static void writeError(HttpServerResponse response, String requestId, GatewayError err, Inbound inbound) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("x-request-id", requestId);
        write(response, headers, err, inbound);
    }

    private static void write(HttpServerResponse response, Map<String, String> headers, GatewayError err, Inbound inbound) {
        if (response.ended() || response.closed()) return;
        ErrorResponses.Shape shape = ErrorResponses.shape(err);
        headers.forEach(response::putHeader);
        shape.retryAfter().ifPresent(d -> response.putHeader("retry-after", Long.toString(Math.max(1, (d.toMillis() + 999) / 1000))));
        response.setStatusCode(shape.status()).putHeader("content-type", "application/json").end(inbound.errorBody(err));
    }
}
