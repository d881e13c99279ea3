package dev.llmgateway.gateway.providers.gemini;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.Usage;
import org.junit.jupiter.api.Test;

/** The parts of the Gemini translation the loopback fake does not exercise. */
class GeminiMapperTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String s) throws Exception { return JSON.readTree(s); }

    private static JsonNode request(String body) throws Exception { return GeminiMapper.request(ChatRequest.parse(json(body))); }

    @Test
    void finishReasonsMapToOpenAiOnes() throws Exception {
        assertThat(GeminiMapper.finishReason("STOP", false)).isEqualTo("stop");
        assertThat(GeminiMapper.finishReason("STOP", true)).isEqualTo("tool_calls");
        assertThat(GeminiMapper.finishReason("MAX_TOKENS", true)).isEqualTo("length");
        for (String r : new String[] {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}) {
            assertThat(GeminiMapper.finishReason(r, false)).as(r).isEqualTo("content_filter");
        }
        assertThat(GeminiMapper.finishReason("MALFORMED_FUNCTION_CALL", false)).isEqualTo("stop");
        assertThat(GeminiMapper.finishReason(json("{\"promptFeedback\":{\"blockReason\":\"SAFETY\"}}"), false)).isEqualTo("content_filter");
    }

    @Test
    void thinkingTokensAreBilledAsOutputAndThoughtsAreNotShown() throws Exception {
        JsonNode resp = json("""
                {"candidates":[{"content":{"role":"model","parts":[{"text":"pondering","thought":true},{"text":"42"}]},"finishReason":"STOP"}],
                 "usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":3,"thoughtsTokenCount":20,"cachedContentTokenCount":4},
                 "modelVersion":"gemini-2.5-flash","responseId":"abc"}""");
        JsonNode out = GeminiMapper.response(resp, "fallback", 1);
        assertThat(out.path("choices").get(0).path("message").path("content").asText()).isEqualTo("42");
        assertThat(out.path("id").asText()).isEqualTo("chatcmpl-abc");
        assertThat(out.path("model").asText()).isEqualTo("gemini-2.5-flash");
        assertThat(GeminiMapper.usage(resp.path("usageMetadata"))).isEqualTo(new Usage(10, 23, 4, false));
        assertThat(out.path("usage").path("completion_tokens").asInt()).isEqualTo(23);
        assertThat(out.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt()).isEqualTo(4);
    }

    @Test
    void toolChoiceJsonModeImagesAndSamplingOptionsAreTranslated() throws Exception {
        JsonNode r = request("""
                {"model":"m","seed":7,"presence_penalty":0.5,"response_format":{"type":"json_object"},
                 "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}},
                          {"type":"function","function":{"name":"g"}}],
                 "tool_choice":{"type":"function","function":{"name":"g"}},
                 "messages":[{"role":"developer","content":"a"},{"role":"system","content":"b"},
                   {"role":"user","content":[{"type":"text","text":"see"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},
                                              {"type":"image_url","image_url":{"url":"https://x/y.png"}}]},
                   {"role":"user","content":"again"}]}""");
        assertThat(r.path("systemInstruction").path("parts").get(0).path("text").asText()).isEqualTo("a\n\nb");
        assertThat(r.path("contents").size()).as("the two user turns are merged").isEqualTo(1);
        JsonNode parts = r.path("contents").get(0).path("parts");
        assertThat(parts.get(1).path("inlineData").path("mimeType").asText()).isEqualTo("image/png");
        assertThat(parts.get(1).path("inlineData").path("data").asText()).isEqualTo("AAAA");
        assertThat(parts.get(2).path("fileData").path("fileUri").asText()).isEqualTo("https://x/y.png");
        assertThat(parts.get(3).path("text").asText()).isEqualTo("again");
        assertThat(r.path("generationConfig").path("seed").asLong()).isEqualTo(7);
        assertThat(r.path("generationConfig").path("presencePenalty").asDouble()).isEqualTo(0.5);
        assertThat(r.path("generationConfig").path("responseMimeType").asText()).isEqualTo("application/json");
        assertThat(r.path("tools").get(0).path("functionDeclarations").get(1).has("parameters")).isFalse();
        JsonNode cfg = r.path("toolConfig").path("functionCallingConfig");
        assertThat(cfg.path("mode").asText()).isEqualTo("ANY");
        assertThat(cfg.path("allowedFunctionNames").get(0).asText()).isEqualTo("g");
        assertThat(request("{\"model\":\"m\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"tool_choice\":\"none\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").path("toolConfig").path("functionCallingConfig").path("mode").asText())
                .isEqualTo("NONE");
        assertThat(request("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").has("generationConfig")).isFalse();
    }

    @Test
    void aJsonObjectToolResultPassesAsIs() throws Exception {
        JsonNode r = request("""
                {"model":"m","messages":[{"role":"user","content":"q"},
                  {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"weather","arguments":"{}"}}]},
                  {"role":"tool","tool_call_id":"c1","content":"{\\"temp\\":21}"}]}""");
        JsonNode fr = r.path("contents").get(2).path("parts").get(0).path("functionResponse");
        assertThat(fr.path("name").asText()).isEqualTo("weather");
        assertThat(fr.path("response").path("temp").asInt()).isEqualTo(21);
    }

    @Test
    void aThoughtSignatureRidesInTheToolCallIdAndGoesBackWithTheCall() throws Exception {
        JsonNode resp = json("""
                {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"weather","args":{"city":"Oslo"}},"thoughtSignature":"c2lnbmVk"}]},
                 "finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1}}""");
        JsonNode call = GeminiMapper.response(resp, "m", 1).path("choices").get(0).path("message").path("tool_calls").get(0);
        String id = call.path("id").asText();
        assertThat(id).isEqualTo("call_0" + GeminiMapper.SIGNATURE_MARK + "c2lnbmVk");
        JsonNode next = request("""
                {"model":"m","messages":[{"role":"user","content":"weather?"},
                  {"role":"assistant","content":null,"tool_calls":[{"id":"%s","type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Oslo\\"}"}}]},
                  {"role":"tool","tool_call_id":"%s","content":"sunny"}]}""".formatted(id, id));
        JsonNode part = next.path("contents").get(1).path("parts").get(0);
        assertThat(part.path("thoughtSignature").asText()).isEqualTo("c2lnbmVk");
        assertThat(part.path("functionCall").path("args").path("city").asText()).isEqualTo("Oslo");
        assertThat(next.path("contents").get(2).path("parts").get(0).path("functionResponse").path("name").asText()).isEqualTo("weather");
        JsonNode plain = request("""
                {"model":"m","messages":[{"role":"user","content":"q"},
                  {"role":"assistant","content":null,"tool_calls":[{"id":"call_9","type":"function","function":{"name":"f","arguments":"{}"}}]},
                  {"role":"tool","tool_call_id":"call_9","content":"x"}]}""");
        assertThat(plain.path("contents").get(1).path("parts").get(0).has("thoughtSignature")).isFalse();
    }

    @Test
    void unsupportedContentPartIsAClearBadRequest() {
        assertThatThrownBy(() -> request("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\",\"input_audio\":{}}]}]}"))
                .isInstanceOfSatisfying(GatewayError.Failure.class, f -> assertThat(f.error()).isInstanceOf(GatewayError.BadRequest.class));
    }
}
