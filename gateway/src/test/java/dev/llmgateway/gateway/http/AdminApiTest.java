package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The admin bootstrap: teams, keys shown once, revocation; all behind the admin key. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class AdminApiTest {
    private static final String ADMIN = GatewayTestResource.ADMIN_KEY;

    @Test
    void adminEndpointsRequireTheAdminKey() {
        assertThat(Http.get(Http.gateway() + "/admin/teams", null).statusCode()).isEqualTo(401);
        assertThat(Http.get(Http.gateway() + "/admin/teams", "wrong").statusCode()).isEqualTo(401);
        String teamKey = Http.newKey("admin-probe");
        HttpResponse<String> r = Http.get(Http.gateway() + "/admin/teams", teamKey);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(Http.json(r.body()).path("error").path("type").asText()).isEqualTo("authentication_error");
    }

    @Test
    void teamLifecycleAndKeyShownOnlyOnce() {
        HttpResponse<String> created = Http.post(Http.gateway() + "/admin/teams", ADMIN, "{\"id\":\"payments\",\"name\":\"Payments\",\"use_class\":\"research\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(Http.json(created.body()).path("use_class").asText()).isEqualTo("research");
        assertThat(Http.post(Http.gateway() + "/admin/teams", ADMIN, "{\"id\":\"payments\"}").statusCode()).isEqualTo(409);

        HttpResponse<String> key = Http.post(Http.gateway() + "/admin/teams/payments/keys", ADMIN, "{\"name\":\"ci\"}");
        assertThat(key.statusCode()).isEqualTo(201);
        String secret = Http.json(key.body()).path("key").asText();
        assertThat(secret).startsWith("gw-");

        HttpResponse<String> list = Http.get(Http.gateway() + "/admin/teams/payments/keys", ADMIN);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).doesNotContain(secret).contains(secret.substring(0, 7));
        assertThat(Http.get(Http.gateway() + "/admin/teams", ADMIN).body()).contains("\"payments\"");
    }

    @Test
    void badAdminInputIsA400AndUnknownThingsA404() {
        assertThat(Http.post(Http.gateway() + "/admin/teams", ADMIN, "{\"id\":\"Bad Name!\"}").statusCode()).isEqualTo(400);
        assertThat(Http.post(Http.gateway() + "/admin/teams", ADMIN, "{\"id\":\"ok-name\",\"use_class\":\"pirate\"}").statusCode()).isEqualTo(400);
        assertThat(Http.post(Http.gateway() + "/admin/teams/ghost/keys", ADMIN, "{}").statusCode()).isEqualTo(404);
        assertThat(Http.delete(Http.gateway() + "/admin/keys/key_ghost", ADMIN).statusCode()).isEqualTo(404);
        Http.post(Http.gateway() + "/admin/teams", ADMIN, "{\"id\":\"routes-team\"}");
        assertThat(Http.post(Http.gateway() + "/admin/teams/routes-team/keys", ADMIN, "{\"allowed_routes\":[\"nope\"]}").statusCode()).isEqualTo(400);
    }
}
