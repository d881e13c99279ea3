package dev.llmgateway.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.GatewaySettings;
import io.smallrye.config.WithName;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/configuration.md must name every gateway.yaml key the loader accepts and every process setting. */
class ConfigurationReferenceTest {
    private static final Path ROOT = Path.of(System.getProperty("gateway.project.root", ".."));

    private static String docs() throws IOException { return Files.readString(ROOT.resolve("docs/configuration.md")); }

    @Test
    void everyGatewayYamlKeyTheLoaderAcceptsIsDocumented() throws IOException {
        String source = Files.readString(ROOT.resolve("gateway/src/main/java/dev/llmgateway/gateway/config/ConfigLoader.java"));
        Matcher sets = Pattern.compile("allowOnly\\(Set\\.of\\(([^)]*)\\)\\)").matcher(source);
        TreeSet<String> keys = new TreeSet<>();
        while (sets.find()) {
            Matcher k = Pattern.compile("\"([a-z_]+)\"").matcher(sets.group(1));
            while (k.find()) keys.add(k.group(1));
        }
        assertThat(keys).hasSizeGreaterThan(40);
        String docs = docs();
        List<String> missing = new ArrayList<>();
        for (String key : keys) if (!docs.contains("`" + key + "`") && !docs.contains("." + key + "`") && !docs.contains("`" + key + ".")) missing.add(key);
        assertThat(missing).as("gateway.yaml keys missing from docs/configuration.md").isEmpty();
    }

    @Test
    void everyProcessSettingIsDocumentedWithItsEnvironmentVariable() throws IOException {
        String docs = docs();
        List<String> missing = new ArrayList<>();
        for (Method m : GatewaySettings.class.getDeclaredMethods()) {
            String name = m.isAnnotationPresent(WithName.class) ? m.getAnnotation(WithName.class).value() : m.getName();
            if (name.equals("project.root")) continue;
            String env = "GATEWAY_" + name.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
            if (!docs.contains("`" + env + "`")) missing.add(env);
        }
        assertThat(missing).as("settings missing from docs/configuration.md").isEmpty();
    }
}
