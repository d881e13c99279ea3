package dev.llmgateway.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.Completion;
import dev.llmgateway.gateway.providers.Usage;
import dev.llmgateway.metering.UsageEvent;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The chain's own rules, with small real stages (no HTTP, no database). */
class PipelineRulesTest {

    /** A client that records what was written to it. */
    static final class RecordingClient implements ClientChannel {
        final List<String> writes = new ArrayList<>();
        boolean committed;

        @Override public void sendJson(int status, Map<String, String> headers, Buffer body) { committed = true; writes.add("json " + body); }
        @Override public void startStream(Map<String, String> headers) { committed = true; writes.add("start"); }
        @Override public void writeEvent(Buffer json) { writes.add("event " + json); }
        @Override public void endStream() { writes.add("[DONE]"); }
        @Override public void abortStream(Buffer errorJson) { writes.add("abort " + errorJson); }
        @Override public boolean committed() { return committed; }
        @Override public void onGone(Runnable action) {}
    }

    static Exchange exchange(RecordingClient client) {
        return new Exchange("req_1", Optional.empty(), Exchange.Kind.CHAT, Buffer.buffer("{}"), Optional.empty(), Map.of(), client);
    }

    static UsageEvent usageRecord() {
        return UsageEvent.builder("req_1", Instant.parse("2026-01-01T00:00:00Z")).team("t", "k").route("r", "fixed", null)
                .deployment("d", "p", "m", dev.llmgateway.metering.DeploymentClass.OPEN).tokens(10, 5, 0).money(3, 7, 0).build();
    }

    /** Returns a whole completion, as Dispatch does. */
    static final Stage REPLY = (x, next) -> Future.succeededFuture(
            new Outcome.Replied(new Reply.Whole(new Completion(Buffer.buffer("{\"answer\":1}"), new Usage(10, 5, 0, false), "stop"))));

    @Test
    void aStageThatProceedsTwiceIsRefusedAndNamed() {
        Stage twice = new Stage() {
            @Override
            public Future<Outcome> handle(Exchange x, Chain next) {
                return next.proceed(x).compose(o -> next.proceed(x));
            }

            @Override
            public String name() { return "Twice"; }
        };
        Stage answer = (x, next) -> Future.succeededFuture(new Outcome.Answered(200));
        Future<Outcome> run = new Pipeline(List.of(twice, answer)).run(exchange(new RecordingClient()));
        assertThat(run.failed()).isTrue();
        assertThat(run.cause()).hasMessageContaining("Twice proceeded more than once");
    }

    @Test
    void aStageThatProceedsPastTheLastStageIsRefused() {
        Stage passOn = (x, next) -> next.proceed(x);
        Future<Outcome> run = new Pipeline(List.of(passOn)).run(exchange(new RecordingClient()));
        assertThat(run.cause()).hasMessageContaining("proceeded past the last stage");
    }

    @Test
    void theMoneyStagesMustKeepTheirOrder() {
        AdmitStage admit = new AdmitStage(null, null, null, null, null);
        MeterStage meter = new MeterStage(null, null);
        RespondStage respond = new RespondStage();
        DispatchStage dispatch = new DispatchStage(null, null, null);
        Stage other = (x, next) -> next.proceed(x);

        assertThat(new Pipeline(List.of(admit, other, meter, respond, dispatch)).stageNames()).hasSize(5);
        assertThatThrownBy(() -> new Pipeline(List.of(meter, admit, respond, dispatch)))
                .hasMessageContaining("AdmitStage").hasMessageContaining("MeterStage");
        assertThatThrownBy(() -> new Pipeline(List.of(admit, meter, other, respond, dispatch)))
                .hasMessageContaining("RespondStage must come directly after MeterStage");
        assertThatThrownBy(() -> new Pipeline(List.of(admit, respond, meter, dispatch)))
                .hasMessageContaining("must come after");
        assertThatThrownBy(() -> new Pipeline(List.of(admit, meter, respond, dispatch, other)))
                .hasMessageContaining("DispatchStage must be the last stage");
    }

    @Test
    void respondWritesNothingOfAWholeAnswerUntilTheStageAboveReleasesIt() {
        RecordingClient client = new RecordingClient();
        List<String> seenBeforeRelease = new ArrayList<>();
        Stage meterLike = (x, next) -> next.proceed(x).compose(o -> {
            seenBeforeRelease.addAll(client.writes);
            return ((Outcome.Held) o).answer().release();
        });
        Future<Outcome> run = new Pipeline(List.of(meterLike, new RespondStage(), REPLY)).run(exchange(client));
        assertThat(seenBeforeRelease).isEmpty();
        assertThat(client.writes).containsExactly("json {\"answer\":1}");
        assertThat(run.result()).isEqualTo(new Outcome.Answered(200));
    }

    @Test
    void aHeldAnswerNobodyReleasedIsWithheldAndReported() {
        RecordingClient client = new RecordingClient();
        Exchange x = exchange(client);
        x.streaming();
        AtomicReference<GatewayError> withheld = new AtomicReference<>();
        Stage holds = (ex, next) -> Future.succeededFuture(new Outcome.Held(new HeldAnswer() {
            @Override public Future<Outcome> release() { client.writes.add("[DONE]"); return Future.succeededFuture(new Outcome.Answered(200)); }
            @Override public Future<Outcome> withhold(GatewayError why) { withheld.set(why); return Future.succeededFuture(new Outcome.Failed(why)); }
        }));
        Future<Outcome> run = new Pipeline(List.of(holds)).run(x);
        assertThat(run.cause()).hasMessageContaining("held answer reached the top of the pipeline unreleased");
        assertThat(withheld.get()).isInstanceOf(GatewayError.Internal.class);
        assertThat(client.writes).doesNotContain("[DONE]");
    }

    @Test
    void theUsageRecordTravelsBackUpToTheStagesAbove() {
        UsageEvent record = usageRecord();
        AtomicReference<Optional<UsageEvent>> seenByAdmitPosition = new AtomicReference<>();
        Stage admitLike = (x, next) -> next.proceed(x).andThen(ar -> seenByAdmitPosition.set(ar.result().usage()));
        Stage passThrough = (x, next) -> next.proceed(x);   // Shadow and Capture sit here
        Stage meterLike = (x, next) -> next.proceed(x).compose(o -> ((Outcome.Held) o).answer().release()
                .map(done -> (Outcome) new Outcome.Answered(((Outcome.Answered) done).status(), Optional.of(record))));
        Future<Outcome> run = new Pipeline(List.of(admitLike, passThrough, meterLike, new RespondStage(), REPLY))
                .run(exchange(new RecordingClient()));
        assertThat(run.succeeded()).isTrue();
        assertThat(seenByAdmitPosition.get()).contains(record);
        assertThat(seenByAdmitPosition.get().orElseThrow().teamChargeMicros().isZero()).isFalse();
    }

    @Test
    void aReleasedAnswerCannotBeWithheldAfterwards() {
        RecordingClient client = new RecordingClient();
        AtomicReference<Future<Outcome>> second = new AtomicReference<>();
        Stage meterLike = (x, next) -> next.proceed(x).compose(o -> {
            HeldAnswer a = ((Outcome.Held) o).answer();
            return a.release().andThen(ar -> second.set(a.withhold(new GatewayError.Internal("late"))));
        });
        new Pipeline(List.of(meterLike, new RespondStage(), REPLY)).run(exchange(client));
        assertThat(second.get().failed()).isTrue();
        assertThat(client.writes).containsExactly("json {\"answer\":1}");
    }
}
