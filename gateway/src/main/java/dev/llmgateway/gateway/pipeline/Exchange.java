package dev.llmgateway.gateway.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.CancelToken;
import dev.llmgateway.gateway.providers.Usage;
import dev.llmgateway.metering.ApiKey;
import dev.llmgateway.metering.Team;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The state of one request as it passes the pipeline; each stage fills in its part. Confined to one request. */
public final class Exchange {
    /** Which API endpoint the request came to. */
    public enum Kind { CHAT, EMBEDDINGS, COMPLETIONS }

    private final String requestId;
    private final Kind kind;
    private final Buffer body;
    private final Optional<String> authorization;
    private final ClientChannel client;
    private final Map<String, String> hints;
    private final Instant receivedAt = Instant.now();
    private final long startNanos = System.nanoTime();
    private final CancelToken cancel = new CancelToken();
    private final Map<String, String> responseHeaders = new LinkedHashMap<>();
    private final List<GatewayError.Attempt> attempts = new ArrayList<>();
    private final List<String> attemptLog = new ArrayList<>();

    private Team team;
    private ApiKey key;
    private ObjectNode json;
    private ChatRequest chat;
    private RoutePlan plan;
    private Deployment served;
    private Usage usage = Usage.NONE;
    private String finishReason;
    private long firstByteNanos;
    private boolean streamed;
    private boolean fromCache;
    private boolean cacheChargesTeam;
    private StringBuilder outputText;
    private java.util.OptionalDouble budgetUsedFraction = java.util.OptionalDouble.empty();
    private final String clientRequestId;

    public Exchange(String requestId, Optional<String> clientRequestId, Kind kind, Buffer body, Optional<String> authorization,
                    Map<String, String> hints, ClientChannel client) {
        this.requestId = requestId;
        this.clientRequestId = clientRequestId.orElse(requestId);
        this.hints = Map.copyOf(hints);
        this.kind = kind;
        this.body = body;
        this.authorization = authorization;
        this.client = client;
        responseHeaders.put("x-request-id", this.clientRequestId);
        responseHeaders.put("x-gateway-request-id", requestId);
        client.onGone(cancel::cancel);
    }

    /** The gateway's own id of this request: unique, the key of its usage record. */
    public String requestId() { return requestId; }
    public Kind kind() { return kind; }
    public Buffer body() { return body; }
    public Optional<String> authorization() { return authorization; }
    public ClientChannel client() { return client; }
    /** Routing hints the client sent as x-gateway-* request headers (lower-case names). */
    public Map<String, String> hints() { return hints; }
    /** When the request arrived: its one accounting instant (price version, budget period, usage month, ledger period). */
    public Instant receivedAt() { return receivedAt; }
    public long startNanos() { return startNanos; }
    public CancelToken cancel() { return cancel; }
    public Map<String, String> responseHeaders() { return responseHeaders; }

    public Team team() { return team; }
    public ApiKey key() { return key; }
    public void authenticated(Team team, ApiKey key) {
        this.team = team;
        this.key = key;
    }

    public ObjectNode json() { return json; }
    public ChatRequest chat() { return chat; }
    public void parsed(ObjectNode json, ChatRequest chat) {
        this.json = json;
        this.chat = chat;
    }

    /** The model name the client asked for. */
    public String model() { return json.path("model").asText(); }

    public RoutePlan plan() { return plan; }
    public void routed(RoutePlan plan) {
        this.plan = plan;
        responseHeaders.put("x-gateway-route", plan.route());
        responseHeaders.put("x-gateway-policy", plan.policy());
        plan.stage().ifPresent(s -> responseHeaders.put("x-gateway-stage", s));
    }

    public List<GatewayError.Attempt> attempts() { return attempts; }
    /** Records one attempt; {@code outcome} is an upstream status or a word such as timeout, for x-gateway-attempts. */
    public void attempted(String deployment, String outcome, GatewayError error) {
        attemptLog.add(deployment + ":" + outcome);
        if (error != null) attempts.add(new GatewayError.Attempt(deployment, error));
        responseHeaders.put("x-gateway-attempts", String.join(",", attemptLog));
    }
    public int attemptCount() { return attemptLog.size(); }

    public Deployment served() { return served; }
    public void servedBy(Deployment d) {
        this.served = d;
        responseHeaders.put("x-gateway-deployment", d.name());
    }

    public Usage usage() { return usage; }
    public String finishReason() { return finishReason; }
    public void finished(Usage usage, String finishReason) {
        this.usage = usage;
        this.finishReason = finishReason;
    }

    /** The share of the team's budget already used, when it has one (for budget-aware routing). */
    public java.util.OptionalDouble budgetUsedFraction() { return budgetUsedFraction; }
    public void budgetUsed(java.util.OptionalDouble fraction) { this.budgetUsedFraction = fraction; }

    /** Asks Respond to keep the answer's text (for shadow comparison and dataset capture). */
    public void keepOutputText() { if (outputText == null) outputText = new StringBuilder(); }
    public boolean keepsOutputText() { return outputText != null; }
    public void appendOutputText(String text) { if (outputText != null) outputText.append(text); }
    public String outputText() { return outputText == null ? "" : outputText.toString(); }

    /** Marks this answer as served from the response cache ({@code x-gateway-cache: hit}); metered at provider cost 0. */
    public void answeredFromCache(boolean chargeTeam) {
        this.fromCache = true;
        this.cacheChargesTeam = chargeTeam;
        responseHeaders.put("x-gateway-cache", "hit");
    }
    public boolean fromCache() { return fromCache; }
    /** Whether a cache hit is charged to the team at the deployment's price (route option cache.team_charge: full). */
    public boolean cacheChargesTeam() { return cacheChargesTeam; }

    public boolean streamed() { return streamed; }
    public void streaming() { this.streamed = true; }

    public void firstByte() { if (firstByteNanos == 0) firstByteNanos = System.nanoTime(); }
    public long ttftMs() { return firstByteNanos == 0 ? -1 : (firstByteNanos - startNanos) / 1_000_000; }
    public long elapsedMs() { return (System.nanoTime() - startNanos) / 1_000_000; }
}
