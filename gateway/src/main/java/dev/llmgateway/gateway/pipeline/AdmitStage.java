package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.metering.Metering;
import dev.llmgateway.gateway.providers.Usage;
import dev.llmgateway.metering.Admission;
import dev.llmgateway.metering.BudgetGuard;
import dev.llmgateway.metering.Money;
import dev.llmgateway.metering.RateDecision;
import dev.llmgateway.metering.RateLimiter;
import dev.llmgateway.metering.RatePermit;
import dev.llmgateway.metering.Reservation;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;

/**
 * Admission: per-minute rate limits (requests and tokens, per key, team and route), then a budget reservation sized to the
 * request's worst case at the most expensive deployment it may reach: an upper bound of its prompt (text and tool
 * definitions bounded by the body's size, plus the provider's preamble for tools, plus each image part at the
 * deployment's documented worst case, {@code max_image_tokens}) and of its output ({@code n} choices of
 * {@code max_tokens} / {@code max_completion_tokens}, the larger when both are sent, or else the context window). After
 * the answer the reservation is settled to the exact charge in the usage record that comes back in the {@link Outcome}
 * (attached by Meter, below), or released if nothing was charged.
 */
public final class AdmitStage implements Stage {
    /** Tokens a chat message costs beyond its text (role markers, separators): generous on purpose. */
    static final int MESSAGE_OVERHEAD_TOKENS = 16;
    /**
     * Tokens a provider adds to the prompt when tools are offered (Anthropic documents a tool-use system prompt of up to
     * 346 tokens; OpenAI's is smaller), and per tool definition beyond its JSON text: generous on purpose.
     */
    static final int TOOLS_OVERHEAD_TOKENS = 400, PER_TOOL_OVERHEAD_TOKENS = 16;

    private final BudgetGuard budgets;
    private final RateLimiter rates;
    private final Metering metering;
    private final Function<java.util.concurrent.Callable<Admission>, Future<Admission>> blocking;
    private final java.util.concurrent.Executor settleExecutor;

    public AdmitStage(BudgetGuard budgets, RateLimiter rates, Metering metering,
                      Function<java.util.concurrent.Callable<Admission>, Future<Admission>> blocking,
                      java.util.concurrent.Executor settleExecutor) {
        this.budgets = budgets;
        this.rates = rates;
        this.metering = metering;
        this.blocking = blocking;
        this.settleExecutor = settleExecutor;
    }

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        int promptBound = promptTokensUpperBound(x);
        int images = imageParts(x);
        long outputBound = outputTokensUpperBound(x, promptBound);
        long worstPrompt = 0;
        for (Deployment d : x.plan().candidates()) worstPrompt = Math.max(worstPrompt, promptBound + (long) images * d.maxImageTokens());
        long worstTokens = worstPrompt + outputBound;
        long worstMicros = worstCaseMicros(x, promptBound, images, outputBound);
        // Fast path, decided in memory on the event loop: no rate limit applies to the key, team or route, and the
        // team's cached budget definitions hold none for this key. Nothing is taken or held, so nothing is settled.
        if (rates.unlimited(x.team().id(), x.key().id(), x.plan().route())) {
            Admission free;
            try {
                free = budgets.reserveIfUnbudgeted(x.team().id(), x.key().id(), worstMicros, worstTokens, x.receivedAt());
            } catch (RuntimeException e) {
                return Future.failedFuture(e);
            }
            if (free != null) return Future.succeededFuture(free).compose(a -> admitted(x, next, a, null));
        }
        // Rate limits are shared by all replicas (grants in PostgreSQL), so acquiring may block: off the event loop.
        RatePermit[] permit = new RatePermit[1];
        return blocking.apply(() -> {
            permit[0] = acquireRate(x, worstTokens);
            return budgets.reserve(x.team().id(), x.key().id(), worstMicros, worstTokens, x.receivedAt());
        }).recover(failure -> {
            Throwable e = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (permit[0] != null) settleRate(permit[0], 0);
            if (e instanceof dev.llmgateway.metering.StoreException) {
                return Future.failedFuture(new GatewayError.Failure(new GatewayError.ServiceUnavailable(
                        "the budget or rate limit of this team cannot be checked right now (database unavailable); try again shortly")));
            }
            return Future.failedFuture(e);
        }).compose(admission -> admitted(x, next, admission, permit[0]));
    }

    private Future<Outcome> admitted(Exchange x, Chain next, Admission admission, RatePermit permit) {
        Reservation reservation = switch (admission) {
            case Admission.Admitted a -> a.reservation();
            case Admission.AdmittedOverSoftLimit s -> {
                x.responseHeaders().put("x-gateway-budget-warning", "over the soft budget limit");
                yield s.reservation();
            }
            case Admission.Rejected r -> null;
        };
        if (admission instanceof Admission.Rejected r) {
            settleRate(permit, 0);
            Duration until = r.periodEnd().map(end -> Duration.between(Instant.now(), end)).filter(d -> !d.isNegative())
                    .orElse(Duration.ofHours(1));
            return Future.failedFuture(new GatewayError.Failure(new GatewayError.BudgetExceeded(r.reason(), until)));
        }
        reservation.remainingMicrosUsdEstimate().ifPresent(m ->
                x.responseHeaders().put("x-gateway-budget-remaining", Money.formatUsd(Math.max(0, m))));
        // The exact charge comes back up the chain in the outcome (Meter attaches the usage record to it).
        return next.proceed(x).andThen(ar -> settle(reservation, permit, ar.succeeded() ? ar.result().usage() : java.util.Optional.empty()));
    }

    /** Takes the request from its key's, team's and route's rate limits; a refusal is thrown as the 429 it becomes. */
    private RatePermit acquireRate(Exchange x, long worstTokens) {
        return switch (rates.tryAcquire(x.team().id(), x.key().id(), x.plan().route(), worstTokens)) {
            case RateDecision.Allowed a -> a.permit();
            case RateDecision.Limited l -> throw new GatewayError.Failure(new GatewayError.RateLimited(
                    limitOwner(l.scope(), l.subjectId(), true) + " is over its limit of "
                            + l.limitPerMinute() + (l.kind() == RateDecision.Kind.REQUESTS_PER_MINUTE ? " requests" : " tokens")
                            + " per minute.", l.retryAfter()));
            case RateDecision.Oversized o -> throw new GatewayError.Failure(new GatewayError.RateLimited(
                    "Request too large: it may use up to " + o.estimatedTokens() + " tokens (prompt + max_tokens), more than "
                            + (o.scope() == RateDecision.Scope.KEY ? "this key's limit of " : "the limit of " + limitOwner(o.scope(), o.subjectId(), false) + " of ")
                            + o.limitPerMinute() + " tokens per minute, so it can never pass; lower max_tokens or shorten the prompt.",
                    Duration.ofMinutes(1)));
        };
    }

    private static String limitOwner(RateDecision.Scope scope, String id, boolean subject) {
        return switch (scope) {
            case KEY -> "This key";
            case TEAM -> (subject ? "Team '" : "team '") + id + "'";
            case ROUTE -> (subject ? "Model '" : "model '") + id + "'";
        };
    }

    /** Charges the actual tokens to the rate limits (off the event loop: it may write to PostgreSQL). */
    private void settleRate(RatePermit permit, long actualTokens) {
        if (permit == null) return;
        if (permit.takesNothing()) { // no limit applied: nothing to charge, no database, no hand-off
            rates.settle(permit, actualTokens);
            return;
        }
        settleExecutor.execute(() -> {
            try {
                rates.settle(permit, actualTokens);
            } catch (RuntimeException e) {
                org.jboss.logging.Logger.getLogger(AdmitStage.class).warnf("charging %d tokens to the rate limits failed: %s",
                        actualTokens, e.getMessage());
            }
        });
    }

    /** Settles the reservation to the usage record Meter returned, or releases it when nothing was recorded or charged. */
    private void settle(Reservation reservation, RatePermit permit, java.util.Optional<dev.llmgateway.metering.UsageEvent> usage) {
        long tokens = usage.map(e -> e.promptTokens() + e.completionTokens()).orElse(0L);
        settleRate(permit, tokens);
        // The exact charge: each lease sums them exactly and rounds the sum up once (a hard limit is never overspent).
        dev.llmgateway.metering.MicroUsd charged = usage.map(dev.llmgateway.metering.UsageEvent::teamChargeMicros)
                .orElse(dev.llmgateway.metering.MicroUsd.ZERO);
        Runnable settle = () -> {
            if (charged.isZero() && tokens == 0) budgets.release(reservation);
            else budgets.settle(reservation, charged, tokens);
        };
        // A reservation that holds nothing (no budget applied) only marks itself finished: no hand-off.
        if (reservation.holdsNothing()) settle.run();
        else settleExecutor.execute(settle);
    }

    /**
     * An upper bound of the prompt's tokens: a token is at least one byte of text, and the request body holds every
     * message and tool definition, so its size in bytes bounds them; plus a per-message overhead for role markers.
     */
    static int promptTokensUpperBound(Exchange x) {
        int messages = 1 + (x.chat() != null ? x.chat().messages().size() : 0);
        long tools = 0;
        if (x.chat() != null && x.chat().usesTools()) {
            tools = TOOLS_OVERHEAD_TOKENS + (long) x.chat().raw().get("tools").size() * PER_TOOL_OVERHEAD_TOKENS;
        }
        return (int) Math.min(Integer.MAX_VALUE / 4, x.body().length() + (long) messages * MESSAGE_OVERHEAD_TOKENS + tools);
    }

    /** Image parts in the messages: each is billed far beyond its few bytes of URL. */
    static int imageParts(Exchange x) {
        if (x.chat() == null) return 0;
        int n = 0;
        for (com.fasterxml.jackson.databind.JsonNode m : x.chat().messages()) {
            com.fasterxml.jackson.databind.JsonNode content = m.get("content");
            if (content == null || !content.isArray()) continue;
            for (com.fasterxml.jackson.databind.JsonNode part : content) {
                String type = part.path("type").asText();
                if (type.equals("image_url") || type.equals("image") || type.equals("input_image")) n++;
            }
        }
        return n;
    }

    /**
     * Every choice may run to the output limit: {@code n} x ({@code max_tokens} when given, otherwise the largest
     * context window the request may reach).
     */
    static long outputTokensUpperBound(Exchange x, int promptBound) {
        if (x.chat() == null) return 0;
        long perChoice;
        if (x.chat().maxTokens().isPresent()) {
            perChoice = x.chat().maxTokens().getAsInt();
        } else {
            int largest = 0;
            for (Deployment d : x.plan().candidates()) largest = Math.max(largest, d.contextWindow());
            perChoice = largest;
        }
        return perChoice * Math.max(1, x.chat().choices());
    }

    private long worstCaseMicros(Exchange x, int promptBound, int images, long outputTokens) {
        long worst = 0;
        for (Deployment d : x.plan().candidates()) {
            Usage usage = new Usage((int) Math.min(Integer.MAX_VALUE, promptBound + (long) images * d.maxImageTokens()),
                    (int) Math.min(Integer.MAX_VALUE, outputTokens), 0, true);
            worst = Math.max(worst, metering.charge(d, x.plan().route(), usage, x.receivedAt()).teamChargeMicros().ceilMicros());
        }
        return worst;
    }
}
