package dev.llmgateway.bench.overhead;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/** A minimal OpenAI-compatible upstream for overhead benchmarks: answers every chat completion at once. */
public final class EchoUpstream {
    private static final Buffer BODY = Buffer.buffer("""
            {"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench","choices":[{"index":0,\
            "message":{"role":"assistant","content":"The quick brown fox jumps over the lazy dog."},"finish_reason":"stop"}],\
            "usage":{"prompt_tokens":12,"completion_tokens":10,"total_tokens":22}}""");

    public static void main(String[] args) {
        int port = Integer.parseInt(args.length > 0 ? args[0] : "19001");
        Vertx vertx = Vertx.vertx();
        vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b ->
                req.response().putHeader("content-type", "application/json").end(BODY)))
                .listen(port, "127.0.0.1").onSuccess(s -> System.out.println("echo upstream on " + s.actualPort()));
    }
}
