package dev.llmgateway.gateway;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AdminKeyStrengthTest {
    @Test
    void aKeyShorterThan32CharactersIsRefusedWithHowToMakeOne() {
        assertThatThrownBy(() -> GatewayRuntime.checkAdminKeyStrength("x".repeat(31)))
                .hasMessageContaining("too short (31 characters; at least 32")
                .hasMessageContaining("openssl rand -hex 32")
                .hasMessageNotContaining("xxxxxxxx");
        assertThatCode(() -> GatewayRuntime.checkAdminKeyStrength("0123456789abcdef0123456789abcdef")).doesNotThrowAnyException();
    }

    @Test
    void theExamplePlaceholdersAreRefused() {
        assertThatThrownBy(() -> GatewayRuntime.checkAdminKeyStrength("REPLACE_ME_admin_key_openssl_rand_hex_32"))
                .hasMessageContaining("placeholder");
        assertThatThrownBy(() -> GatewayRuntime.checkAdminKeyStrength("change-me-to-a-long-random-string"))
                .hasMessageContaining("placeholder");
    }
}
