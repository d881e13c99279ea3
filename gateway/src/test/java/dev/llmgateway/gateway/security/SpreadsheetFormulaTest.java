package dev.llmgateway.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** A client-chosen {@code user} that looks like a formula comes out of the usage CSV as text. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class SpreadsheetFormulaTest {
    @Test
    void aFormulaInTheUserFieldIsNeutralizedInTheUsageCsv() throws Exception {
        String team = "csv-formula-team";
        String key = Http.newKey(team);
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"gpt-test\",\"user\":\"=HYPERLINK(\\\"http://evil.example\\\",\\\"x\\\")\","
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        String id = r.headers().firstValue("x-gateway-request-id").orElseThrow();
        String admin = GatewayTestResource.ADMIN_KEY;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (Http.get(Http.gateway() + "/admin/usage/" + id, admin).statusCode() != 200 && System.nanoTime() < deadline) Thread.sleep(50);
        String csv = Http.get(Http.gateway() + "/admin/usage?team=" + team + "&format=csv", admin).body();
        assertThat(csv).contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"");
        assertThat(csv.lines()).noneMatch(line -> line.contains(",=HYPERLINK") || line.startsWith("=HYPERLINK"));
    }
}
