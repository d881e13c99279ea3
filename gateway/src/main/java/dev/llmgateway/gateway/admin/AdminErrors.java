package dev.llmgateway.gateway.admin;

import dev.llmgateway.gateway.errors.ErrorResponses;
import dev.llmgateway.gateway.errors.GatewayError;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** Admin errors use the same OpenAI-style body as the API. */
@Provider
public class AdminErrors implements ExceptionMapper<GatewayError.Failure> {

    @Override
    public Response toResponse(GatewayError.Failure f) { return response(f.error()); }

    static Response response(GatewayError e) { return response(ErrorResponses.shape(e).status(), e); }

    /** The error's body with another status (e.g. 409 for a state conflict). */
    static Response response(int status, GatewayError e) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(ErrorResponses.body(e).toString()).build();
    }

    static GatewayError.Failure bad(String message, String param) {
        return new GatewayError.Failure(new GatewayError.BadRequest(message, param));
    }

    static GatewayError.Failure notFound(String message) {
        return new GatewayError.Failure(new GatewayError.NotFound(message));
    }
}
