package dev.llmgateway.bench.overhead;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;

/**
 * A minimal OpenAI-compatible upstream for overhead benchmarks: answers every chat completion at once. A streaming
 * request ({@code "stream":true}) gets its first content chunk at once and the rest (a second chunk, the usage chunk,
 * {@code [DONE]}) {@code STREAM_GAP_MS} later, so a client can tell the time to the first chunk from the time to the
 * last. Usage: EchoUpstream [PORT] [STREAM_GAP_MS] [EVENT_LOOPS]
 */
public final class EchoUpstream {
    private static final Buffer BODY = Buffer.buffer("""
            {"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench","choices":[{"index":0,\
            "message":{"role":"assistant","content":"The quick brown fox jumps over the lazy dog."},"finish_reason":"stop"}],\
            "usage":{"prompt_tokens":12,"completion_tokens":10,"total_tokens":22}}""");
    private static final Buffer FIRST = Buffer.buffer("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"The quick \"},"
            + "\"finish_reason\":null}]}\n\n");
    private static final Buffer REST = Buffer.buffer("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"brown fox.\"},\"finish_reason\":\"stop\"}]}\n\n"
            + "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench\","
            + "\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":10,\"total_tokens\":22}}\n\ndata: [DONE]\n\n");

    public static void main(String[] args) {
        int port = Integer.parseInt(args.length > 0 ? args[0] : "19001");
        long gapMs = args.length > 1 ? Long.parseLong(args[1]) : 2;
        int loops = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
        vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true)).requestHandler(req -> req.body().onSuccess(b -> {
            HttpServerResponse resp = req.response();
            if (b.length() < 4096 && b.toString().contains("\"stream\":true")) {
                resp.setChunked(true).putHeader("content-type", "text/event-stream").write(FIRST);
                vertx.setTimer(Math.max(1, gapMs), id -> resp.end(REST));
            } else {
                resp.putHeader("content-type", "application/json").end(BODY);
            }
        })).listen(port, "127.0.0.1").onSuccess(s -> System.out.println("echo upstream on " + s.actualPort()));
    }
}
