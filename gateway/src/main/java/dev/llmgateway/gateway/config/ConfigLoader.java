package dev.llmgateway.gateway.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.config.GatewayConfig.DeploymentClass;
import dev.llmgateway.gateway.config.GatewayConfig.EngineModel;
import dev.llmgateway.gateway.config.GatewayConfig.Prices;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.config.GatewayConfig.Resilience;
import dev.llmgateway.gateway.providers.ProviderFactories;
import dev.llmgateway.gateway.providers.ProviderFactory;
import dev.llmgateway.routing.BudgetDowngrade;
import dev.llmgateway.routing.Policy;
import dev.llmgateway.routing.PromotionRule;
import dev.llmgateway.routing.Route;
import dev.llmgateway.routing.Router;
import dev.llmgateway.routing.ShadowSpec;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/** Reads gateway.yaml once, validates every reference, and fails with {@code file: path: reason}. */
public final class ConfigLoader {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}");
    private static final Map<String, DeploymentClass> CLASSES = orderedMap("closed", DeploymentClass.CLOSED, "open", DeploymentClass.OPEN);
    private static final Set<String> CAPABILITIES = Set.of("tools", "json_mode", "vision", "streaming", "embeddings");

    private ConfigLoader() {}

    /** A map that lists its keys in the given order, so error messages are stable. */
    @SuppressWarnings("unchecked")
    private static <V> Map<String, V> orderedMap(Object... kv) {
        Map<String, V> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (V) kv[i + 1]);
        return java.util.Collections.unmodifiableMap(m);
    }

    public static GatewayConfig load(Path file, Function<String, String> env) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": file not found (set GATEWAY_CONFIG to the path of your gateway.yaml)");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot be read: " + e.getMessage());
        }
        return parse(file.toString(), text, env, file.toAbsolutePath().getParent());
    }

    /**
     * Parses YAML text; relative model paths resolve against {@code baseDir}. An error message never carries the value
     * of a substituted {@code ${VAR}}: it shows {@code ${VAR}} instead (the text may come from the admin API).
     */
    public static GatewayConfig parse(String source, String yaml, Function<String, String> env, Path baseDir) {
        try {
            return parseSubstituted(source, yaml, env, baseDir);
        } catch (ConfigException e) {
            throw new ConfigException(redact(e.getMessage(), yaml, env));
        }
    }

    private static final java.util.regex.Pattern ENV_REFERENCE = java.util.regex.Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?}");

    /**
     * Replaces in {@code text} the value of every environment variable {@code yaml} refers to with {@code ${NAME}}.
     * Longer values first, so a value containing another is replaced whole; values under 3 characters carry no secret.
     */
    public static String redact(String text, String yaml, Function<String, String> env) {
        if (text == null || yaml == null) return text;
        Map<String, String> values = new java.util.TreeMap<>();
        java.util.regex.Matcher m = ENV_REFERENCE.matcher(yaml);
        while (m.find()) {
            String value = env.apply(m.group(1));
            if (value != null && value.length() >= 3) values.put(m.group(1), value);
        }
        String out = text;
        for (var e : values.entrySet().stream().sorted((a, b) -> b.getValue().length() - a.getValue().length()).toList()) {
            out = out.replace(e.getValue(), "${" + e.getKey() + "}");
        }
        return out;
    }

    private static GatewayConfig parseSubstituted(String source, String yaml, Function<String, String> env, Path baseDir) {
        JsonNode tree;
        try {
            tree = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage());
        }
        ConfigNode root = new ConfigNode(source, "", tree, env).allowOnly(Set.of("providers", "deployments", "routes", "pricing", "datasets"));

        Map<String, Provider> providers = new LinkedHashMap<>();
        root.get("providers").entries().forEach((name, n) -> providers.put(name, provider(checkName(n, name), n)));

        Map<String, Deployment> deployments = new LinkedHashMap<>();
        root.get("deployments").entries().forEach((name, n) -> deployments.put(name, deployment(checkName(n, name), n, providers, baseDir)));

        Map<String, Route> routes = new LinkedHashMap<>();
        Map<String, GatewayConfig.Judge> judges = new LinkedHashMap<>();
        Map<String, dev.llmgateway.metering.RateLimits> routeLimits = new LinkedHashMap<>();
        Map<String, GatewayConfig.RouteCache> caches = new LinkedHashMap<>();
        root.get("routes").entries().forEach((name, n) -> {
            routes.put(name, route(checkName(n, name), n, deployments));
            routeCache(n.get("cache")).ifPresent(c -> caches.put(name, c));
            ConfigNode lim = n.get("limits").allowOnly(Set.of("rpm", "tpm"));
            if (!lim.isMissing()) {
                java.util.OptionalLong rpm = perMinute(lim.get("rpm")), tpm = perMinute(lim.get("tpm"));
                if (rpm.isEmpty() && tpm.isEmpty()) throw lim.error("give rpm, tpm or both (requests / tokens per minute)");
                routeLimits.put(name, new dev.llmgateway.metering.RateLimits(rpm, tpm));
            }
            ConfigNode j = n.get("shadow").get("judge").allowOnly(Set.of("deployment", "daily_budget_usd"));
            if (!j.isMissing()) {
                java.math.BigDecimal cap = j.get("daily_budget_usd").decimal(new java.math.BigDecimal("1.00"));
                if (cap.stripTrailingZeros().scale() > 6) throw j.get("daily_budget_usd").error("at most 6 decimal places");
                judges.put(name, new GatewayConfig.Judge(knownDeployment(j.get("deployment"), deployments), dev.llmgateway.metering.Money.toMicros(cap)));
            }
        });
        if (routes.isEmpty()) throw root.get("routes").error("at least one route is required (the model names clients send)");
        for (Map.Entry<String, Deployment> d : deployments.entrySet()) {
            Prices p = d.getValue().prices();
            List<java.math.BigDecimal> all = new java.util.ArrayList<>(List.of(p.inputPerMillionUsd(), p.outputPerMillionUsd(), p.cachedInputPerMillionUsd()));
            d.getValue().listPrices().ifPresent(l -> all.addAll(List.of(l.inputPerMillionUsd(), l.outputPerMillionUsd(), l.cachedInputPerMillionUsd())));
            for (java.math.BigDecimal v : all) {
                if (v.stripTrailingZeros().scale() > 6) {
                    throw root.get("deployments").get(d.getKey()).get("prices").error("prices have at most 6 decimal places (micro-USD)");
                }
            }
        }
        Map<DeploymentClass, Integer> markups = new java.util.EnumMap<>(DeploymentClass.class);
        ConfigNode mk = root.get("pricing").allowOnly(Set.of("markup_bp")).get("markup_bp").allowOnly(Set.of("closed", "open"));
        if (!mk.get("closed").isMissing()) markups.put(DeploymentClass.CLOSED, mk.get("closed").integer(0, 0, 1_000_000));
        if (!mk.get("open").isMissing()) markups.put(DeploymentClass.OPEN, mk.get("open").integer(0, 0, 1_000_000));
        List<dev.llmgateway.metering.DatasetDefinition> datasets = new java.util.ArrayList<>();
        root.get("datasets").entries().forEach((name, n) -> {
            n.allowOnly(Set.of("route", "sample", "retention_days", "redact"));
            ConfigNode red = n.get("redact").allowOnly(Set.of("emails", "keys", "phones"));
            Optional<String> route = n.get("route").optString();
            if (route.isPresent() && !routes.containsKey(route.get())) throw n.get("route").error("unknown route '" + route.get() + "'");
            try {
                datasets.add(new dev.llmgateway.metering.DatasetDefinition(name, route, (int) Math.round(n.get("sample").ratio(1.0) * 10_000),
                        n.get("retention_days").integer(30, 1, 36_500), red.get("emails").bool(true), red.get("keys").bool(true),
                        red.get("phones").bool(true)));
            } catch (IllegalArgumentException e) {
                throw n.error(e.getMessage());
            }
        });
        GatewayConfig config = new GatewayConfig(source, Map.copyOf(providers), Map.copyOf(deployments), Map.copyOf(routes),
                Map.copyOf(markups), List.copyOf(datasets), Map.copyOf(judges), Map.copyOf(routeLimits), Map.copyOf(caches));
        try {
            Router.of(config.catalog());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": " + e.getMessage());
        }
        return config;
    }

    private static String checkName(ConfigNode n, String name) {
        if (!NAME.matcher(name).matches()) throw n.error("invalid name (letters, digits and . _ : / - only)");
        return name;
    }

    /** The keys every provider block may have; each type's factory adds its own ({@link ProviderFactory#optionKeys()}). */
    private static final Set<String> PROVIDER_KEYS = Set.of("type", "base_url", "api_key", "api_keys", "headers", "max_connections",
            "max_waiting", "http2");

    private static Provider provider(String name, ConfigNode n) {
        ConfigNode typeNode = n.get("type");
        String type = typeNode.string().trim();
        ProviderFactory factory = ProviderFactories.forType(type).orElseThrow(() -> typeNode.error(
                "unknown value '" + type + "' (expected one of " + String.join(", ", ProviderFactories.types()) + ")"));
        Set<String> own = new java.util.HashSet<>(PROVIDER_KEYS);
        own.addAll(factory.optionKeys());
        for (String key : n.entries().keySet()) {
            if (own.contains(key)) continue;
            // A key of another type (api_version on an openai provider) says whose it is; anything else is a typo.
            ProviderFactories.all().stream().filter(f -> f.optionKeys().contains(key)).findFirst().ifPresent(f -> {
                String owner = f.types().getFirst();
                throw n.get(key).error("only " + ("aeiou".indexOf(owner.charAt(0)) >= 0 ? "an " : "a ") + owner + " provider has " + key);
            });
        }
        n.allowOnly(own);
        Optional<URI> baseUrl = factory.baseUrl(type, n.get("base_url"));
        if (n.get("http2").bool(false) && !baseUrl.map(u -> "https".equals(u.getScheme())).orElse(false)) {
            throw n.get("http2").error("needs an https base_url (HTTP/2 is negotiated by ALPN during the TLS handshake)");
        }
        Map<String, String> headers = new TreeMap<>();
        n.get("headers").entries().forEach((k, v) -> headers.put(k, v.string()));
        List<String> keys = apiKeys(n);
        return new Provider(name, type, baseUrl, keys.stream().findFirst(), Map.copyOf(headers),
                n.get("max_connections").integer(Provider.DEFAULT_MAX_CONNECTIONS, 1, 100_000),
                n.get("max_waiting").integer(Provider.DEFAULT_MAX_WAITING, 0, 1_000_000), n.get("http2").bool(false),
                keys, factory.options(type, n));
    }

    /** {@code api_key} and/or {@code api_keys}: blank entries (an unset environment variable) are dropped, duplicates refused. */
    private static List<String> apiKeys(ConfigNode n) {
        List<String> keys = new java.util.ArrayList<>();
        n.get("api_key").optString().filter(s -> !s.isBlank()).ifPresent(keys::add);
        for (ConfigNode k : n.get("api_keys").items()) {
            String key = k.string();
            if (key.isBlank()) continue;
            // The message names the position only: the key itself must never reach a log.
            if (keys.contains(key)) throw k.error("repeats a key given before (each key once)");
            keys.add(key);
        }
        return List.copyOf(keys);
    }

    private static Deployment deployment(String name, ConfigNode n, Map<String, Provider> providers, Path baseDir) {
        n.allowOnly(Set.of("provider", "model", "class", "prices", "list_prices", "markup_bp", "context_window", "license", "capabilities",
                "quality", "timeouts", "retry", "circuit_breaker", "engine", "max_image_tokens"));
        String providerName = n.get("provider").string();
        Provider provider = providers.get(providerName);
        if (provider == null) throw n.get("provider").error("unknown provider '" + providerName + "'");
        ConfigNode p = n.get("prices").allowOnly(Set.of("input", "output", "cached_input"));
        Prices prices = new Prices(p.get("input").decimal(java.math.BigDecimal.ZERO), p.get("output").decimal(java.math.BigDecimal.ZERO),
                p.get("cached_input").decimal(p.get("input").decimal(java.math.BigDecimal.ZERO)));
        Optional<Prices> listPrices = Optional.empty();
        ConfigNode lp = n.get("list_prices").allowOnly(Set.of("input", "output", "cached_input"));
        if (!lp.isMissing()) {
            listPrices = Optional.of(new Prices(lp.get("input").decimal(java.math.BigDecimal.ZERO), lp.get("output").decimal(java.math.BigDecimal.ZERO),
                    lp.get("cached_input").decimal(lp.get("input").decimal(java.math.BigDecimal.ZERO))));
        }
        java.util.OptionalInt markupBp = n.get("markup_bp").isMissing() ? java.util.OptionalInt.empty()
                : java.util.OptionalInt.of(n.get("markup_bp").integer(0, 0, 1_000_000));
        Set<String> caps = new LinkedHashSet<>();
        for (ConfigNode c : n.get("capabilities").items()) {
            String cap = c.string();
            if (!CAPABILITIES.contains(cap)) throw c.error("unknown capability '" + cap + "' (expected one of " + String.join(", ", new java.util.TreeSet<>(CAPABILITIES)) + ")");
            caps.add(cap);
        }
        Map<String, Double> quality = new TreeMap<>();
        n.get("quality").entries().forEach((task, q) -> quality.put(task, q.ratio(0)));
        ConfigNode t = n.get("timeouts").allowOnly(Set.of("connect", "first_byte", "total", "idle", "pool_wait"));
        ConfigNode r = n.get("retry").allowOnly(Set.of("max_attempts", "backoff_initial", "backoff_max"));
        ConfigNode cb = n.get("circuit_breaker").allowOnly(Set.of("request_volume", "failure_ratio", "delay"));
        Resilience d = Resilience.DEFAULTS;
        Resilience resilience = new Resilience(t.get("connect").duration(d.connectTimeout()), t.get("first_byte").duration(d.firstByteTimeout()),
                t.get("total").duration(d.totalTimeout()), r.get("max_attempts").integer(d.maxAttempts(), 1, 10),
                r.get("backoff_initial").duration(d.backoffInitial()), r.get("backoff_max").duration(d.backoffMax()),
                cb.get("request_volume").integer(d.circuitRequestVolume(), 1, 10_000), cb.get("failure_ratio").ratio(d.circuitFailureRatio()),
                cb.get("delay").duration(d.circuitDelay()), t.get("idle").duration(d.idleTimeout()), t.get("pool_wait").duration(d.poolWait()));
        if (resilience.firstByteTimeout().compareTo(resilience.totalTimeout()) > 0) {
            throw t.get("first_byte").error("must not be longer than timeouts.total");
        }
        Optional<EngineModel> engine = Optional.empty();
        ConfigNode e = n.get("engine");
        ProviderFactory factory = ProviderFactories.of(provider);
        if (factory.embeddedEngine()) {
            if (e.isMissing()) throw e.error("is required for a deployment of an embedded provider (engine.path or engine.huggingface)");
            engine = Optional.of(engineModel(e, baseDir));
        } else if (!e.isMissing()) {
            throw e.error("only deployments of an embedded provider have an engine block");
        }
        String model = factory.embeddedEngine() ? n.get("model").string(name) : n.get("model").string();
        return new Deployment(name, providerName, model, n.get("class").oneOf(DeploymentClass.class, CLASSES), prices,
                listPrices, markupBp, n.get("context_window").integer(128_000, 1, 100_000_000), n.get("license").optString(), Set.copyOf(caps),
                Map.copyOf(quality), resilience, engine,
                n.get("max_image_tokens").integer(factory.defaultMaxImageTokens(), 0, 10_000_000));
    }

    private static final Pattern HF_REPO = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private static EngineModel engineModel(ConfigNode e, Path baseDir) {
        e.allowOnly(Set.of("path", "huggingface", "context_size", "threads", "parallel_slots", "max_queued", "gpu_layers",
                "idle_unload", "preload", "chat_template", "mode", "pooling"));
        Path path = null;
        Optional<EngineModel.HuggingFace> hf = Optional.empty();
        if (!e.get("path").isMissing() && !e.get("huggingface").isMissing()) {
            throw e.error("give either path or huggingface, not both");
        } else if (!e.get("huggingface").isMissing()) {
            hf = Optional.of(huggingFace(e.get("huggingface")));
        } else {
            if (e.get("path").isMissing()) throw e.get("path").error("is required (or huggingface: {repo, file, sha256})");
            path = Path.of(e.get("path").string());
            if (!path.isAbsolute() && baseDir != null) path = baseDir.resolve(path).normalize();
        }
        return new EngineModel(path, hf, e.get("context_size").integer(2048, 16, 1_048_576),
                e.get("threads").integer(Math.max(1, Runtime.getRuntime().availableProcessors()), 1, 1024),
                e.get("parallel_slots").integer(1, 1, 256), e.get("max_queued").integer(16, 0, 100_000),
                e.get("gpu_layers").integer(0, 0, 10_000), e.get("idle_unload").duration(Duration.ZERO),
                e.get("preload").bool(false), e.get("chat_template").optString(), embeddingMode(e), pooling(e));
    }

    /** {@code engine.mode}: {@code generation} (default; chat and completions) or {@code embedding} (/v1/embeddings). */
    private static boolean embeddingMode(ConfigNode e) {
        String mode = e.get("mode").string("generation");
        return switch (mode) {
            case "generation" -> false;
            case "embedding" -> {
                if (!e.get("chat_template").isMissing()) throw e.get("chat_template").error("does not apply to mode: embedding");
                yield true;
            }
            default -> throw e.get("mode").error("expected generation or embedding");
        };
    }

    /** {@code engine.pooling}: {@code cls} or {@code last}, only with {@code mode: embedding}; absent = the model's own. */
    private static Optional<String> pooling(ConfigNode e) {
        ConfigNode p = e.get("pooling");
        if (p.isMissing()) return Optional.empty();
        if (!"embedding".equals(e.get("mode").string("generation"))) throw p.error("applies only to mode: embedding");
        String v = p.string();
        if (v.equals("mean")) {
            throw p.error("mean pooling is not available: the llama.cpp bundled with the engine aborts the process with it (llama.cpp issue #12517); use cls or last");
        }
        if (!v.equals("cls") && !v.equals("last")) throw p.error("expected cls or last");
        return Optional.of(v);
    }

    /** {@code engine.huggingface}: a GGUF in a Hugging Face repository, pinned by its sha256. */
    private static EngineModel.HuggingFace huggingFace(ConfigNode h) {
        h.allowOnly(Set.of("repo", "file", "sha256", "revision"));
        String repo = h.get("repo").string();
        if (!HF_REPO.matcher(repo).matches()) throw h.get("repo").error("expected a repository id such as Qwen/Qwen2.5-0.5B-Instruct-GGUF");
        String file = h.get("file").string();
        if (file.isBlank() || file.startsWith("/") || file.contains("\\") || java.util.Arrays.asList(file.split("/")).contains("..")) {
            throw h.get("file").error("expected a file path inside the repository, such as qwen2.5-0.5b-instruct-q4_k_m.gguf");
        }
        String revision = h.get("revision").string("main");
        if (revision.isBlank()) throw h.get("revision").error("must not be empty (a branch, tag or commit; default main)");
        String sha256 = h.get("sha256").string();
        if (!SHA256.matcher(sha256).matches()) throw h.get("sha256").error("expected 64 hexadecimal characters (the file's SHA-256)");
        return new EngineModel.HuggingFace(repo, file, revision, sha256.toLowerCase(java.util.Locale.ROOT));
    }

    /** A per-minute limit: absent = none, else a whole number from 1 to {@link dev.llmgateway.metering.RateLimits#MAX_PER_MINUTE}. */
    private static java.util.OptionalLong perMinute(ConfigNode n) {
        if (n.isMissing()) return java.util.OptionalLong.empty();
        return java.util.OptionalLong.of(n.integer(0, 1, (int) Math.min(Integer.MAX_VALUE, dev.llmgateway.metering.RateLimits.MAX_PER_MINUTE)));
    }

    private static Route route(String name, ConfigNode n, Map<String, Deployment> deployments) {
        n.allowOnly(Set.of("deployment", "policy", "fallbacks", "shadow", "budget_downgrade", "baseline", "limits", "cache"));
        Policy policy;
        if (!n.get("deployment").isMissing()) {
            if (!n.get("policy").isMissing()) throw n.error("give either deployment or policy, not both");
            policy = new Policy.Fixed(knownDeployment(n.get("deployment"), deployments));
        } else {
            ConfigNode p = n.get("policy");
            if (p.isMissing()) throw n.error("needs a deployment or a policy");
            policy = policy(p, deployments);
        }
        List<String> fallbacks = n.get("fallbacks").items().stream().map(f -> knownDeployment(f, deployments)).toList();
        Optional<ShadowSpec> shadow = Optional.empty();
        ConfigNode sh = n.get("shadow").allowOnly(Set.of("deployment", "sample", "judge"));
        if (!sh.isMissing()) shadow = Optional.of(new ShadowSpec(knownDeployment(sh.get("deployment"), deployments), sh.get("sample").ratio(0.1)));
        Optional<BudgetDowngrade> downgrade = Optional.empty();
        ConfigNode bd = n.get("budget_downgrade").allowOnly(Set.of("at_used", "deployment"));
        if (!bd.isMissing()) {
            downgrade = Optional.of(new BudgetDowngrade(bd.get("at_used").ratio(0.8), knownDeployment(bd.get("deployment"), deployments)));
        }
        Optional<String> baseline = n.get("baseline").isMissing() ? Optional.empty()
                : Optional.of(knownDeployment(n.get("baseline"), deployments));
        try {
            return new Route(name, policy, fallbacks, shadow, downgrade, baseline);
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage());
        }
    }

    /** A route's {@code cache:} block (docs/cache.md); absent means the route is not cached. */
    private static Optional<GatewayConfig.RouteCache> routeCache(ConfigNode c) {
        if (c.isMissing()) return Optional.empty();
        c.allowOnly(Set.of("ttl", "team_charge", "deterministic_only", "store"));
        if (c.get("ttl").isMissing()) throw c.error("needs a ttl, such as 10m");
        Duration ttl = c.get("ttl").duration(null);
        if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(Duration.ofDays(30)) > 0) {
            throw c.get("ttl").error("must be between 1s and 30 days");
        }
        boolean chargeTeam = switch (c.get("team_charge").string("none")) {
            case "none" -> false;
            case "full" -> true;
            default -> throw c.get("team_charge").error("must be none or full");
        };
        GatewayConfig.CacheStore store = switch (c.get("store").string("memory")) {
            case "memory" -> GatewayConfig.CacheStore.MEMORY;
            case "postgres" -> GatewayConfig.CacheStore.POSTGRES;
            default -> throw c.get("store").error("must be memory or postgres");
        };
        return Optional.of(new GatewayConfig.RouteCache(ttl, chargeTeam, c.get("deterministic_only").bool(true), store));
    }

    private static Policy policy(ConfigNode p, Map<String, Deployment> deployments) {
        String type = p.get("type").string();
        try {
            return switch (type) {
                case "fixed" -> {
                    p.allowOnly(Set.of("type", "deployment"));
                    yield new Policy.Fixed(knownDeployment(p.get("deployment"), deployments));
                }
                case "weighted" -> {
                    p.allowOnly(Set.of("type", "weights"));
                    Map<String, Integer> weights = new LinkedHashMap<>();
                    p.get("weights").entries().forEach((d, w) -> {
                        if (!deployments.containsKey(d)) throw w.error("unknown deployment '" + d + "'");
                        weights.put(d, w.integer(0, 0, 1_000_000));
                    });
                    if (weights.isEmpty()) throw p.get("weights").error("needs at least one deployment with a weight");
                    yield new Policy.Weighted(weights);
                }
                case "cost_quality" -> {
                    p.allowOnly(Set.of("type", "candidates", "quality_floor", "max_cost_micros_per_request", "expected_output_tokens"));
                    List<String> candidates = p.get("candidates").items().stream().map(c -> knownDeployment(c, deployments)).toList();
                    if (candidates.isEmpty()) throw p.get("candidates").error("needs at least one deployment");
                    ConfigNode max = p.get("max_cost_micros_per_request");
                    yield new Policy.CostQuality(candidates, p.get("quality_floor").ratio(0),
                            max.isMissing() ? OptionalLong.empty() : OptionalLong.of(max.integer(0, 0, Integer.MAX_VALUE)),
                            p.get("expected_output_tokens").integer(0, 0, 10_000_000));
                }
                case "complexity" -> {
                    p.allowOnly(Set.of("type", "strong", "weak", "threshold", "target_strong_share"));
                    ConfigNode share = p.get("target_strong_share");
                    yield new Policy.Complexity(knownDeployment(p.get("strong"), deployments), knownDeployment(p.get("weak"), deployments),
                            p.get("threshold").ratio(0.5), share.isMissing() ? OptionalDouble.empty() : OptionalDouble.of(share.ratio(0)));
                }
                case "migration" -> {
                    p.allowOnly(Set.of("type", "from", "to", "stages", "promotion"));
                    List<Integer> stages = p.get("stages").items().stream().map(st -> st.integer(0, 1, 100)).toList();
                    if (stages.isEmpty()) stages = List.of(5, 25, 50, 100);
                    ConfigNode r = p.get("promotion").allowOnly(Set.of("feedback_margin", "win_rate_margin", "non_inferiority_margin",
                            "confidence", "min_samples", "max_error_rate_increase", "max_latency_ratio", "min_stage_duration",
                            "evaluation_interval"));
                    PromotionRule rule;
                    try {
                        // non_inferiority_margin is the former single margin: it still sets both scales' defaults.
                        double legacy = r.get("non_inferiority_margin").ratio(0.05);
                        rule = new PromotionRule(r.get("feedback_margin").ratio(legacy), r.get("win_rate_margin").ratio(legacy),
                                r.get("confidence").ratio(0.95), r.get("min_samples").integer(200, 2, 100_000_000),
                                r.get("max_error_rate_increase").ratio(0.01),
                                Double.parseDouble(r.get("max_latency_ratio").string("1.5")), r.get("min_stage_duration").duration(Duration.ZERO),
                                r.get("evaluation_interval").duration(PromotionRule.DEFAULT_EVALUATION_INTERVAL));
                    } catch (NumberFormatException e) {
                        throw r.get("max_latency_ratio").error("expected a number");
                    } catch (IllegalArgumentException e) {
                        throw r.error(e.getMessage());
                    }
                    yield new Policy.Migration(knownDeployment(p.get("from"), deployments), knownDeployment(p.get("to"), deployments), stages, rule);
                }
                default -> throw p.get("type").error("unknown policy type '" + type
                        + "' (expected fixed, weighted, cost_quality, complexity or migration)");
            };
        } catch (IllegalArgumentException e) {
            throw p.error(e.getMessage());
        }
    }

    private static String knownDeployment(ConfigNode n, Map<String, Deployment> deployments) {
        String d = n.string();
        if (!deployments.containsKey(d)) throw n.error("unknown deployment '" + d + "'");
        return d;
    }
}
