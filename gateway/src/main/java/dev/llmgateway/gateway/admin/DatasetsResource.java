package dev.llmgateway.gateway.admin;

import dev.llmgateway.metering.DatasetDefinition;
import dev.llmgateway.metering.FeedbackScore;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Captured fine-tuning datasets: definitions and OpenAI fine-tuning JSONL export. */
@Path("/admin/datasets")
@Produces(MediaType.APPLICATION_JSON)
public class DatasetsResource {
    @Inject dev.llmgateway.metering.DatasetStore datasets;

    @GET
    public Map<String, Object> list() {
        List<Map<String, Object>> data = new ArrayList<>();
        for (DatasetDefinition d : datasets.definitions()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", d.name());
            m.put("route", d.route().orElse(null));
            m.put("sample", BigDecimal.valueOf(d.sampleShareBp(), 4).stripTrailingZeros().toPlainString());
            m.put("retention_days", d.retentionDays());
            m.put("redact", Map.of("emails", d.redactEmails(), "keys", d.redactKeys(), "phones", d.redactPhones()));
            m.put("rows", datasets.rows(d.name()));
            data.add(m);
        }
        return Map.of("object", "list", "data", data);
    }

    @GET
    @Path("/{name}/export")
    @Produces("application/jsonl")
    public Response export(@PathParam("name") String name, @QueryParam("from") String from, @QueryParam("to") String to,
                           @QueryParam("min_score") String minScore) {
        if (datasets.definition(name).isEmpty()) throw AdminErrors.notFound("no dataset '" + name + "'");
        Instant f = Optional.ofNullable(UsageResource.instant(from, "from")).orElse(Instant.EPOCH);
        Instant t = Optional.ofNullable(UsageResource.instant(to, "to")).orElse(Instant.parse("9999-12-31T00:00:00Z"));
        Optional<FeedbackScore> min;
        try {
            min = minScore == null ? Optional.empty() : Optional.of(FeedbackScore.of(new BigDecimal(minScore)));
        } catch (IllegalArgumentException e) {
            throw AdminErrors.bad("'min_score' must be a number from 0 to 1", "min_score");
        }
        StreamingOutput out = os -> {
            Writer w = new OutputStreamWriter(os, StandardCharsets.UTF_8);
            datasets.exportJsonl(name, f, t, min, w);
            w.flush();
        };
        return Response.ok(out, "application/jsonl").header("content-disposition", "attachment; filename=" + name + ".jsonl").build();
    }
}
