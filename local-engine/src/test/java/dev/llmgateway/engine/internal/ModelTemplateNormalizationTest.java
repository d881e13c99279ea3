package dev.llmgateway.engine.internal;

import dev.llmgateway.engine.EngineMessage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Messages are shaped so strict templates (one leading system, alternating turns) accept them. */
class ModelTemplateNormalizationTest {

    @Test
    void systemMessagesMoveToOneLeadingMessageAndRepeatedRolesMerge() {
        List<EngineMessage> out = ModelRuntime.normalizeForModelTemplate(List.of(
                EngineMessage.user("a"), EngineMessage.system("s1"), EngineMessage.user("b"),
                EngineMessage.assistant("c"), new EngineMessage("tool", "d"), new EngineMessage("developer", "s2")));
        assertThat(out).containsExactly(
                EngineMessage.system("s1\n\ns2"), EngineMessage.user("a\n\nb"),
                EngineMessage.assistant("c"), EngineMessage.user("d"));
    }

    @Test
    void defaultTemplateLabelsRolesAndEndsWithAnOpenAssistantTurn() {
        assertThat(DefaultChatTemplate.render(List.of(EngineMessage.user("Hi"), new EngineMessage("tool", "42"))))
                .isEqualTo("User: Hi\nTool: 42\nAssistant:");
    }
}
