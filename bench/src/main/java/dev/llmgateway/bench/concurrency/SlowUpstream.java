package dev.llmgateway.bench.concurrency;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;

/**
 * An OpenAI-compatible upstream with LLM-like latency, for concurrency benchmarks. Non-streaming calls are answered
 * after {@code LATENCY_MS}; streaming calls get their headers at once, then {@code CHUNKS} content chunks spread evenly
 * over the latency, a usage chunk and [DONE]. Usage: SlowUpstream PORT LATENCY_MS [CHUNKS]
 */
public final class SlowUpstream {
    private static final Buffer BODY = Buffer.buffer("""
            {"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench","choices":[{"index":0,\
            "message":{"role":"assistant","content":"The quick brown fox jumps over the lazy dog."},"finish_reason":"stop"}],\
            "usage":{"prompt_tokens":12,"completion_tokens":10,"total_tokens":22}}""");
    private static final Buffer CHUNK = Buffer.buffer("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"fox \"},\"finish_reason\":null}]}\n\n");
    private static final Buffer LAST = Buffer.buffer("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
            + "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench\","
            + "\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":10,\"total_tokens\":22}}\n\ndata: [DONE]\n\n");

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        long latencyMs = Long.parseLong(args[1]);
        int chunks = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true).setAcceptBacklog(16_384)).requestHandler(req -> req.body().onSuccess(b -> {
            HttpServerResponse resp = req.response();
            if (b.toString().contains("\"stream\":true")) {
                resp.setChunked(true).putHeader("content-type", "text/event-stream");
                resp.write(Buffer.buffer());
                long every = Math.max(1, latencyMs / chunks);
                int[] sent = {0};
                vertx.setPeriodic(every, id -> {
                    if (resp.closed()) {
                        vertx.cancelTimer(id);
                        return;
                    }
                    if (++sent[0] < chunks) {
                        resp.write(CHUNK);
                    } else {
                        vertx.cancelTimer(id);
                        resp.end(LAST);
                    }
                });
            } else {
                vertx.setTimer(Math.max(1, latencyMs), id -> resp.putHeader("content-type", "application/json").end(BODY));
            }
        })).listen(port, "127.0.0.1").onSuccess(s -> System.out.println("slow upstream on " + s.actualPort() + ", " + latencyMs + " ms"));
    }
}
