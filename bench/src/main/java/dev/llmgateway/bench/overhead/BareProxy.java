package dev.llmgateway.bench.overhead;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * The floor of any proxy built on Vert.x, for the CPU-per-request figures of bench/throughput.sh: an HTTP server that
 * forwards each request's body unread to the upstream over a keep-alive pool and answers with the upstream's body,
 * nothing else (no parsing, routing, metering, metrics or headers beyond content-type; a stream is relayed chunk by
 * chunk, which gives the floor of the time a proxy adds to a stream's first byte). One verticle per event loop,
 * each with its own server and client, so a call never leaves its loop: the best case for the gateway's own set-up.
 * Usage: BareProxy LISTEN_PORT UPSTREAM_PORT [EVENT_LOOPS]
 */
public final class BareProxy extends AbstractVerticle {
    private final int listenPort;
    private final int upstreamPort;

    private BareProxy(int listenPort, int upstreamPort) {
        this.listenPort = listenPort;
        this.upstreamPort = upstreamPort;
    }

    @Override
    public void start() {
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                new PoolOptions().setHttp1MaxSize(256));
        RequestOptions target = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(upstreamPort);
        vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true)).requestHandler(req -> req.body().onSuccess(body -> {
            // A stream (as EchoUpstream tells one) is relayed chunk by chunk as it arrives; a whole answer in one write.
            boolean stream = body.length() < 4096 && body.toString().contains("\"stream\":true");
            client.request(new RequestOptions(target).setURI(req.uri()))
                    .compose(up -> up.putHeader("content-type", "application/json").send(body))
                    .onSuccess(resp -> {
                        if (stream) {
                            req.response().setChunked(true).putHeader("content-type", "text/event-stream");
                            resp.pipeTo(req.response());
                        } else {
                            resp.body().onSuccess(answer -> req.response().putHeader("content-type", "application/json").end(answer));
                        }
                    })
                    .onFailure(e -> req.response().setStatusCode(502).end(String.valueOf(e.getMessage())));
        })).listen(listenPort, "127.0.0.1");
    }

    public static void main(String[] args) {
        int listen = Integer.parseInt(args[0]);
        int upstream = Integer.parseInt(args[1]);
        int loops = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
        vertx.deployVerticle(() -> new BareProxy(listen, upstream), new DeploymentOptions().setInstances(loops))
                .onSuccess(id -> System.out.println("bare proxy on " + listen + " -> " + upstream));
    }
}
