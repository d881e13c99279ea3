package dev.llmgateway.gateway.runtime;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AdminKeyStrengthTest {
    @Test
    void aKeyShorterThan32CharactersIsRefusedWithHowToMakeOne() {
        assertThatThrownBy(() -> AdminCredential.checkStrength("x".repeat(31)))
                .hasMessageContaining("too short (31 characters; at least 32")
                .hasMessageContaining("openssl rand -hex 32")
                .hasMessageNotContaining("xxxxxxxx");
        assertThatCode(() -> AdminCredential.checkStrength("0123456789abcdef0123456789abcdef")).doesNotThrowAnyException();
    }

    @Test
    void theExamplePlaceholdersAreRefused() {
        assertThatThrownBy(() -> AdminCredential.checkStrength("REPLACE_ME_admin_key_openssl_rand_hex_32"))
                .hasMessageContaining("placeholder");
        assertThatThrownBy(() -> AdminCredential.checkStrength("change-me-to-a-long-random-string"))
                .hasMessageContaining("placeholder");
    }
}
