package dev.llmgateway.gateway.http;

import dev.llmgateway.gateway.api.messages.MessagesChannel;
import dev.llmgateway.gateway.api.messages.MessagesRequest;
import dev.llmgateway.gateway.api.responses.ResponsesChannel;
import dev.llmgateway.gateway.api.responses.ResponsesRequest;
import dev.llmgateway.gateway.errors.ErrorResponses;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.pipeline.ClientChannel;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Optional;

/**
 * An inbound API: how its requests become the chat-completions request the pipeline runs, and how answers and errors
 * go back in its own format. Chat completions is the identity; the Anthropic Messages and Responses APIs translate, so
 * routing, budgets, metering and every provider behave the same whatever API a client speaks.
 */
enum Inbound {
    OPENAI {
        @Override
        Translated translate(Buffer body, String requestId, HttpServerResponse response) {
            return new Translated(body, new VertxClientChannel(response));
        }
    },
    ANTHROPIC_MESSAGES {
        @Override
        Translated translate(Buffer body, String requestId, HttpServerResponse response) {
            var chat = MessagesRequest.toChat(body.getBytes());
            var channel = new MessagesChannel(new SseResponse(response), requestId, chat.path("model").asText());
            return new Translated(Buffer.buffer(chat.toString()), channel);
        }

        /** Anthropic SDKs send the key as {@code x-api-key}; a bearer token works too. */
        @Override
        Optional<String> authorization(HttpServerRequest req) {
            String bearer = req.getHeader("authorization");
            if (bearer != null) return Optional.of(bearer);
            return Optional.ofNullable(req.getHeader("x-api-key")).map(k -> "Bearer " + k);
        }

        @Override
        Optional<GatewayError> checkHeaders(HttpServerRequest req) {
            String version = req.getHeader("anthropic-version");
            if (version == null || MessagesRequest.isSupportedVersion(version)) return Optional.empty();
            return Optional.of(new GatewayError.BadRequest("anthropic-version: unsupported version '" + abbreviate(version)
                    + "'; expected a dated version such as " + MessagesRequest.BASE_VERSION, "anthropic-version"));
        }

        @Override
        String errorBody(GatewayError error) { return MessagesChannel.errorBody(error); }
    },
    RESPONSES {
        @Override
        Translated translate(Buffer body, String requestId, HttpServerResponse response) {
            var t = ResponsesRequest.toChat(body.getBytes());
            return new Translated(Buffer.buffer(t.chat().toString()), new ResponsesChannel(new SseResponse(response), requestId, t.echo()));
        }
    };

    /** The chat-completions body for the pipeline and the channel that writes the answer back in this API's format. */
    record Translated(Buffer chatBody, ClientChannel channel) {}

    /** Translates the body; a problem is a {@link GatewayError.Failure} with a 400. */
    abstract Translated translate(Buffer body, String requestId, HttpServerResponse response);

    Optional<String> authorization(HttpServerRequest req) { return Optional.ofNullable(req.getHeader("authorization")); }

    /** A refusal decided from the headers alone (before the body is read). */
    Optional<GatewayError> checkHeaders(HttpServerRequest req) { return Optional.empty(); }

    String errorBody(GatewayError error) { return ErrorResponses.body(error).toString(); }

    private static String abbreviate(String s) {
        String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 40 ? printable.substring(0, 40) + "..." : printable;
    }
}
