package dev.llmgateway.gateway.runtime;

import dev.llmgateway.metering.TeamStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/** The admin key: the configured one, or one generated on first start and printed once; checked in constant time. */
public final class AdminCredential {
    /** The shortest admin key the gateway accepts. */
    public static final int MIN_CHARS = 32;

    private final byte[] hash;

    private AdminCredential(byte[] hash) { this.hash = hash; }

    /** Stores the configured key's hash, or generates a key when none is stored yet (shown once on the console). */
    static AdminCredential init(Optional<String> configured, TeamStore teams) {
        if (configured.isPresent() && !configured.get().isBlank()) {
            byte[] hash = TeamStore.hash(configured.get());
            teams.setAdminCredential(hash);
            return new AdminCredential(hash);
        }
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        String generated = "gw-admin-" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        if (teams.initAdminCredential(TeamStore.hash(generated))) {
            // Printed to the console once, deliberately not through the logger; it is never shown again.
            System.out.println("\n=== Generated admin key (shown once; set GATEWAY_ADMIN_KEY to choose your own): " + generated + " ===\n");
        }
        return new AdminCredential(teams.adminCredential().orElseThrow());
    }

    /** Checks an admin key in constant time against the stored hash. */
    public boolean isAdminKey(String candidate) {
        if (candidate == null || candidate.isEmpty()) return false;
        return MessageDigest.isEqual(hash, TeamStore.hash(candidate));
    }

    /** Refuses a short or placeholder admin key: it guards everything, so guessing it must be hopeless. */
    public static void checkStrength(String key) {
        String k = key.trim();
        String how = " Generate one with: openssl rand -hex 32 (or leave GATEWAY_ADMIN_KEY unset and the gateway generates one"
                + " on first start and prints it once).";
        if (k.length() < MIN_CHARS) {
            throw new IllegalStateException("GATEWAY_ADMIN_KEY is too short (" + k.length() + " characters; at least "
                    + MIN_CHARS + " are required)." + how);
        }
        String lower = k.toLowerCase(Locale.ROOT);
        if (lower.contains("replace_me") || lower.startsWith("change-me") || lower.startsWith("changeme")) {
            throw new IllegalStateException("GATEWAY_ADMIN_KEY is still the example placeholder." + how);
        }
    }
}
