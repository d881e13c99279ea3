package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.auth.Authenticator;
import io.vertx.core.Future;

/** Bearer key -> key record and team; 401 for a missing, unknown or revoked key. */
public final class AuthenticateStage implements Stage {
    private final Authenticator authenticator;

    public AuthenticateStage(Authenticator authenticator) { this.authenticator = authenticator; }

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        return authenticator.authenticate(x.authorization()).compose(owner -> {
            x.authenticated(owner.team(), owner.key());
            return next.proceed(x);
        });
    }
}
