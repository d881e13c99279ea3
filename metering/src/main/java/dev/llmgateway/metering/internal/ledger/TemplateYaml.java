package dev.llmgateway.metering.internal.ledger;

import dev.llmgateway.metering.Attribution;
import dev.llmgateway.metering.LicenseConditions;
import dev.llmgateway.metering.LicenseObligation;
import dev.llmgateway.metering.LicenseTemplate;
import dev.llmgateway.metering.LicenseThresholds;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Parses a license template (YAML, snake_case keys); errors name the file and the key path. */
public final class TemplateYaml {
    private TemplateYaml() {}

    public static Map<String, Object> parse(String yaml) {
        Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        return map(root, "<root>");
    }

    public static LicenseTemplate template(String file, String yaml) {
        try {
            Map<String, Object> m = parse(yaml);
            allowed(m, "", Set.of("id", "name", "license_names", "source_url", "summary", "placeholders", "terms"));
            return new LicenseTemplate(string(m, "id", ""), string(m, "name", ""), strings(m.get("license_names"), "license_names"),
                    m.get("source_url") == null ? "" : string(m, "source_url", ""), string(m, "summary", ""),
                    strings(m.getOrDefault("placeholders", List.of()), "placeholders"),
                    conditions(map(m.get("terms"), "terms"), "terms."));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Conditions from a {@code terms} mapping (also the admin API's JSON shape). */
    public static LicenseConditions conditions(Map<String, Object> t, String path) {
        allowed(t, path, Set.of("free_use_classes", "thresholds", "obligation", "attribution"));
        Map<String, Object> th = map(t.getOrDefault("thresholds", Map.of()), path + "thresholds");
        allowed(th, path + "thresholds.", Set.of("active_users_over", "revenue_micros_over", "tokens_over"));
        Map<String, Object> ob = map(t.getOrDefault("obligation", Map.of()), path + "obligation");
        allowed(ob, path + "obligation.", Set.of("revenue_share_bp", "royalty_micros_per_mtok", "minimum_micros_per_period"));
        Map<String, Object> at = map(t.getOrDefault("attribution", Map.of()), path + "attribution");
        allowed(at, path + "attribution.", Set.of("text", "above_thresholds_only"));
        long bp = number(ob, "revenue_share_bp", path + "obligation.").orElse(0);
        if (bp > Integer.MAX_VALUE) throw new IllegalArgumentException(path + "obligation.revenue_share_bp: too large");
        Object above = at.getOrDefault("above_thresholds_only", false);
        if (!(above instanceof Boolean b)) throw new IllegalArgumentException(path + "attribution.above_thresholds_only: expected true or false");
        return new LicenseConditions(
                LicenseConditions.useClasses(strings(t.getOrDefault("free_use_classes", List.of()), path + "free_use_classes")),
                new LicenseThresholds(number(th, "active_users_over", path + "thresholds."),
                        number(th, "revenue_micros_over", path + "thresholds."), number(th, "tokens_over", path + "thresholds.")),
                new LicenseObligation((int) bp, number(ob, "royalty_micros_per_mtok", path + "obligation.").orElse(0),
                        number(ob, "minimum_micros_per_period", path + "obligation.").orElse(0)),
                new Attribution(at.get("text") == null ? "" : at.get("text").toString(), b));
    }

    private static void allowed(Map<String, Object> m, String path, Set<String> keys) {
        for (String k : m.keySet()) if (!keys.contains(k)) throw new IllegalArgumentException(path + k + ": unknown key");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String path) {
        if (!(o instanceof Map<?, ?> m)) throw new IllegalArgumentException(path + ": expected a mapping");
        return (Map<String, Object>) m;
    }

    private static String string(Map<String, Object> m, String key, String path) {
        Object v = m.get(key);
        if (!(v instanceof String s)) throw new IllegalArgumentException(path + key + ": expected text");
        return s;
    }

    private static List<String> strings(Object o, String path) {
        if (!(o instanceof List<?> l)) throw new IllegalArgumentException(path + ": expected a list");
        List<String> out = new ArrayList<>();
        for (Object v : l) out.add(String.valueOf(v));
        return out;
    }

    /** A whole, non-negative number; decimals are refused (money is micro-USD, shares basis points). */
    private static OptionalLong number(Map<String, Object> m, String key, String path) {
        Object v = m.get(key);
        if (v == null) return OptionalLong.empty();
        long n = switch (v) {
            case Integer i -> i;
            case Long l -> l;
            case BigInteger b -> {
                if (b.bitLength() > 63) throw new IllegalArgumentException(path + key + ": too large");
                yield b.longValue();
            }
            default -> throw new IllegalArgumentException(path + key + ": expected a whole number, got '" + v + "'");
        };
        if (n < 0) throw new IllegalArgumentException(path + key + ": must not be negative");
        return OptionalLong.of(n);
    }
}
