package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.ledger.TemplateYaml;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The license templates shipped in {@code license-templates/} (see docs/licenses.md); their numbers are placeholders. */
public final class LicenseTemplates {
    private static final String DIR = "license-templates/";

    private LicenseTemplates() {}

    /** Every shipped template, in the order of {@code license-templates/index.yaml}. */
    @SuppressWarnings("unchecked")
    public static List<LicenseTemplate> all() {
        Object ids = TemplateYaml.parse(read("index.yaml")).get("templates");
        if (!(ids instanceof List<?> list)) throw new IllegalStateException(DIR + "index.yaml: templates: expected a list");
        List<LicenseTemplate> out = new ArrayList<>();
        for (Object id : list) out.add(TemplateYaml.template(DIR + id + ".yaml", read(id + ".yaml")));
        return List.copyOf(out);
    }

    public static Optional<LicenseTemplate> get(String id) {
        return all().stream().filter(t -> t.id().equals(id)).findFirst();
    }

    /** Parses a template from YAML text (e.g. an operator's own file); {@code file} names it in error messages. */
    public static LicenseTemplate parse(String file, String yaml) { return TemplateYaml.template(file, yaml); }

    /**
     * Conditions from a parsed {@code terms} object in the templates' snake_case shape (as the admin API receives it,
     * e.g. from JSON): {@code free_use_classes}, {@code thresholds}, {@code obligation}, {@code attribution}. Numbers
     * must be whole; errors name the key path.
     */
    public static LicenseConditions conditionsFrom(java.util.Map<String, Object> terms) {
        return TemplateYaml.conditions(terms, "terms.");
    }

    private static String read(String name) {
        try (InputStream in = LicenseTemplates.class.getClassLoader().getResourceAsStream(DIR + name)) {
            if (in == null) throw new IllegalStateException("missing resource " + DIR + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(DIR + name, e);
        }
    }
}
