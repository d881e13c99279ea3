package dev.llmgateway.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A structural check of an example gateway.yaml, mirroring the rules of the gateway's ConfigLoader that an example can
 * break without running the gateway: allowed keys, provider types, deployment classes, and that routes name declared
 * deployments and deployments name declared providers. It returns every problem, as {@code path: reason}.
 */
final class GatewayYaml {
    private GatewayYaml() {}

    static final Set<String> TOP_LEVEL = Set.of("providers", "deployments", "routes", "pricing", "datasets");
    /** The keys every provider block may have; each type adds its own ({@link #TYPE_KEYS}), as the gateway's ProviderFactory does. */
    static final Set<String> PROVIDER_KEYS = Set.of("type", "base_url", "api_key", "api_keys", "headers", "max_connections", "max_waiting",
            "http2");
    static final Map<String, Set<String>> TYPE_KEYS = Map.of("openai", Set.of(), "openai-compatible", Set.of(),
            "anthropic", Set.of("anthropic_version"), "azure-openai", Set.of("api_version"), "gemini", Set.of(), "embedded", Set.of());
    static final Set<String> PROVIDER_TYPES = TYPE_KEYS.keySet();
    /** Types without a default base_url: the gateway refuses the provider without one. */
    static final Set<String> BASE_URL_REQUIRED = Set.of("openai-compatible", "azure-openai");
    static final Set<String> DEPLOYMENT_KEYS = Set.of("provider", "model", "class", "prices", "list_prices", "markup_bp", "context_window",
            "license", "capabilities", "quality", "timeouts", "retry", "circuit_breaker", "engine", "max_image_tokens");
    static final Set<String> CLASSES = Set.of("closed", "open");
    static final Set<String> CAPABILITIES = Set.of("tools", "json_mode", "vision", "streaming", "embeddings");
    static final Map<String, Set<String>> DEPLOYMENT_SECTIONS = Map.of(
            "prices", Set.of("input", "output", "cached_input"),
            "list_prices", Set.of("input", "output", "cached_input"),
            "timeouts", Set.of("connect", "first_byte", "total", "idle", "pool_wait"),
            "retry", Set.of("max_attempts", "backoff_initial", "backoff_max"),
            "circuit_breaker", Set.of("request_volume", "failure_ratio", "delay"));
    static final Set<String> ROUTE_KEYS = Set.of("deployment", "policy", "fallbacks", "shadow", "budget_downgrade", "baseline", "limits",
            "cache");
    static final Map<String, Set<String>> ROUTE_SECTIONS = Map.of(
            "limits", Set.of("rpm", "tpm"),
            "cache", Set.of("ttl", "team_charge", "deterministic_only", "store"),
            "budget_downgrade", Set.of("at_used", "deployment"),
            "shadow", Set.of("deployment", "sample", "judge"));
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}");
    /** The gateway's substitution syntax: ${VAR} (required) or ${VAR:-default}. */
    static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

    static List<String> problems(JsonNode root) {
        List<String> out = new ArrayList<>();
        if (root == null || !root.isObject()) {
            out.add("(root): must be a mapping with providers, deployments and routes");
            return out;
        }
        unknownKeys(root, "", TOP_LEVEL, out);
        JsonNode providers = root.path("providers");
        JsonNode deployments = root.path("deployments");
        JsonNode routes = root.path("routes");
        if (!providers.isObject() || providers.isEmpty()) out.add("providers: at least one provider is required");
        if (!deployments.isObject() || deployments.isEmpty()) out.add("deployments: at least one deployment is required");
        if (!routes.isObject() || routes.isEmpty()) out.add("routes: at least one route is required");

        for (var e : entries(providers)) {
            String path = "providers." + e.getKey();
            JsonNode p = e.getValue();
            name(e.getKey(), path, out);
            String type = p.path("type").asText("");
            if (!PROVIDER_TYPES.contains(type)) out.add(path + ".type: '" + type + "' is not one of " + new java.util.TreeSet<>(PROVIDER_TYPES));
            Set<String> allowed = new java.util.TreeSet<>(PROVIDER_KEYS);
            allowed.addAll(TYPE_KEYS.getOrDefault(type, Set.of()));
            unknownKeys(p, path, allowed, out);
            if (BASE_URL_REQUIRED.contains(type) && p.path("base_url").asText("").isBlank()) {
                out.add(path + ".base_url: is required for type " + type);
            }
            if (p.has("api_keys") && !p.path("api_keys").isArray()) out.add(path + ".api_keys: must be a list");
        }
        for (var e : entries(deployments)) {
            String path = "deployments." + e.getKey();
            JsonNode d = e.getValue();
            name(e.getKey(), path, out);
            unknownKeys(d, path, DEPLOYMENT_KEYS, out);
            String provider = d.path("provider").asText("");
            if (!providers.has(provider)) out.add(path + ".provider: unknown provider '" + provider + "'");
            String cls = d.path("class").asText("");
            if (!CLASSES.contains(cls)) out.add(path + ".class: '" + cls + "' is not one of " + CLASSES);
            boolean embedded = providers.path(provider).path("type").asText("").equals("embedded");
            if (!embedded && d.path("model").asText("").isBlank()) out.add(path + ".model: is required");
            DEPLOYMENT_SECTIONS.forEach((section, keys) -> unknownKeys(d.path(section), path + "." + section, keys, out));
            for (JsonNode c : d.path("capabilities")) {
                if (!CAPABILITIES.contains(c.asText())) out.add(path + ".capabilities: unknown capability '" + c.asText() + "'");
            }
        }
        for (var e : entries(routes)) {
            String path = "routes." + e.getKey();
            JsonNode r = e.getValue();
            name(e.getKey(), path, out);
            unknownKeys(r, path, ROUTE_KEYS, out);
            ROUTE_SECTIONS.forEach((section, keys) -> unknownKeys(r.path(section), path + "." + section, keys, out));
            if (r.has("cache") && !r.path("cache").has("ttl")) out.add(path + ".cache: needs a ttl, such as 10m");
            boolean hasDeployment = r.has("deployment");
            if (hasDeployment == r.has("policy")) out.add(path + ": give either deployment or policy");
            if (hasDeployment) deployment(r.path("deployment"), path + ".deployment", deployments, out);
            if (r.path("policy").has("deployment")) deployment(r.path("policy").path("deployment"), path + ".policy.deployment", deployments, out);
            JsonNode fallbacks = r.path("fallbacks");
            for (int i = 0; i < fallbacks.size(); i++) deployment(fallbacks.get(i), path + ".fallbacks[" + i + "]", deployments, out);
        }
        return out;
    }

    /** Environment variables the config reads without a default (start-up fails if they are unset); comments do not count. */
    static Set<String> requiredVariables(JsonNode config) {
        Set<String> out = new LinkedHashSet<>();
        scan(config, out, true);
        return out;
    }

    /** Every environment variable the config reads, with or without a default; comments do not count. */
    static Set<String> variables(JsonNode config) {
        Set<String> out = new LinkedHashSet<>();
        scan(config, out, false);
        return out;
    }

    private static void scan(JsonNode node, Set<String> out, boolean requiredOnly) {
        if (node.isTextual()) {
            Matcher m = ENV.matcher(node.asText());
            while (m.find()) if (!requiredOnly || m.group(2) == null) out.add(m.group(1));
        }
        node.forEach(child -> scan(child, out, requiredOnly));
    }

    private static void deployment(JsonNode ref, String path, JsonNode deployments, List<String> out) {
        if (!deployments.has(ref.asText())) out.add(path + ": unknown deployment '" + ref.asText() + "'");
    }

    private static void name(String name, String path, List<String> out) {
        if (!NAME.matcher(name).matches()) out.add(path + ": invalid name");
    }

    private static void unknownKeys(JsonNode node, String path, Set<String> allowed, List<String> out) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) out.add((path.isEmpty() ? "" : path + ".") + key + ": unknown key (allowed: " + allowed + ")");
        }
    }

    private static List<Map.Entry<String, JsonNode>> entries(JsonNode node) {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        if (node.isObject()) node.fields().forEachRemaining(out::add);
        return out;
    }
}
