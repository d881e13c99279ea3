package dev.llmgateway.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed parsing of Kubernetes manifests with the fabric8 model. fabric8 classes keep unknown fields in
 * {@code additionalProperties} (a Jackson any-setter) instead of failing, so FAIL_ON_UNKNOWN_PROPERTIES alone lets a
 * misspelt field through; {@link #unknownFields} walks the parsed object and reports every such field with its path.
 */
final class StrictModel {
    private StrictModel() {}

    /** The kinds these manifests may use, by apiVersion and kind. */
    static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "v1/Namespace", Namespace.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Secret", Secret.class,
            "v1/Service", Service.class,
            "apps/v1/Deployment", Deployment.class,
            "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class);

    /** Parses one manifest into its typed class; fails naming the source for an unknown kind or unknown fields. */
    static HasMetadata parse(JsonNode manifest, String source) {
        String key = manifest.path("apiVersion").asText() + "/" + manifest.path("kind").asText();
        Class<? extends HasMetadata> type = KINDS.get(key);
        if (type == null) throw new AssertionError(source + ": unexpected apiVersion/kind " + key + " (known: " + KINDS.keySet() + ")");
        HasMetadata parsed;
        try {
            parsed = DeployFiles.YAML.treeToValue(manifest, type);
        } catch (Exception e) {
            throw new AssertionError(source + ": does not parse as " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
        List<String> unknown = unknownFields(parsed);
        if (!unknown.isEmpty()) {
            throw new AssertionError(source + ": unknown fields in " + parsed.getKind() + " " + parsed.getMetadata().getName() + ": " + unknown);
        }
        return parsed;
    }

    /** Paths of every field that the typed model did not recognise, e.g. {@code spec.template.spec.containers[0].readinesProbe}. */
    static List<String> unknownFields(Object root) {
        List<String> out = new ArrayList<>();
        walk(root, "", out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private static void walk(Object o, String path, List<String> out, Set<Object> seen) {
        if (o == null) return;
        if (o instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) walk(list.get(i), path + "[" + i + "]", out, seen);
            return;
        }
        if (o instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "[" + k + "]", out, seen));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.") || !seen.add(o)) return;
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) continue;
            String name = m.getName();
            if (!name.startsWith("get") || name.length() == 3) continue;
            Object value;
            try {
                value = m.invoke(o);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            if (name.equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra) {
                    extra.keySet().forEach(k -> out.add(path.isEmpty() ? String.valueOf(k) : path + "." + k));
                }
                continue;
            }
            String field = Character.toLowerCase(name.charAt(3)) + name.substring(4);
            walk(value, path.isEmpty() ? field : path + "." + field, out, seen);
        }
    }
}
