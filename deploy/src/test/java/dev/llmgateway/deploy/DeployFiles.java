package dev.llmgateway.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Where the deployment files are, how they are read, and what the gateway accepts. */
final class DeployFiles {
    private DeployFiles() {}

    /**
     * The process settings the gateway reads (GatewaySettings and docs/configuration.md). An environment variable
     * starting with GATEWAY_ that is not here is a typo the gateway would silently ignore.
     */
    static final Set<String> GATEWAY_ENV = Set.of("GATEWAY_CONFIG", "GATEWAY_DATA_DIR", "GATEWAY_DB_URL", "GATEWAY_DB_USER",
            "GATEWAY_DB_PASSWORD", "GATEWAY_DB_POOL_SIZE", "GATEWAY_ADMIN_KEY", "GATEWAY_MAX_BODY_BYTES");

    /** The health and metrics endpoints of the gateway (SmallRye Health, Micrometer Prometheus). */
    static final String LIVE = "/q/health/live";
    static final String READY = "/q/health/ready";

    /** Strict YAML: unknown properties fail for plain Jackson beans (fabric8 beans also need {@link StrictModel}). */
    static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    /** The deploy/ folder: the module's base directory (set by surefire), else the working directory. */
    static Path deployDir() {
        String dir = System.getProperty("deploy.dir");
        Path p = (dir == null || dir.isBlank() ? Path.of("") : Path.of(dir)).toAbsolutePath().normalize();
        if (!Files.isRegularFile(p.resolve("Dockerfile")) && Files.isRegularFile(p.resolve("deploy/Dockerfile"))) {
            p = p.resolve("deploy");
        }
        return p;
    }

    static Path repoRoot() {
        return deployDir().getParent();
    }

    static Path kubernetesDir() {
        return deployDir().resolve("kubernetes");
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode yaml(Path file) {
        return yaml(read(file), file.toString());
    }

    static JsonNode yaml(String text, String source) {
        try {
            return YAML.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(source + ": not valid YAML: " + e.getMessage(), e);
        }
    }

    /** Every document of a multi-document YAML file ("---" separated), empty documents skipped. */
    static List<JsonNode> yamlDocuments(Path file) {
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(file.toFile())) {
            var it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && !n.isNull() && !n.isMissingNode()) docs.add(n);
            }
        } catch (IOException e) {
            throw new AssertionError(file + ": not valid YAML: " + e.getMessage(), e);
        }
        return docs;
    }
}
