package dev.llmgateway.gateway.api.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.errors.GatewayError;

/**
 * Translates a stateless OpenAI Responses API request ({@code POST /v1/responses}) into the chat-completions request
 * the pipeline runs. Stored conversations ({@code previous_response_id}, {@code conversation}) and built-in tools are
 * refused with a clear 400: the gateway keeps no response state.
 */
public final class ResponsesRequest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private ResponsesRequest() {}

    /** The parts of the original request echoed in the response object. */
    public record Echo(String model, JsonNode instructions, JsonNode maxOutputTokens, JsonNode temperature, JsonNode topP,
                       JsonNode tools, JsonNode toolChoice, JsonNode text, JsonNode metadata, boolean parallelToolCalls) {}

    /** A translated request and what the response must echo. */
    public record Translated(ObjectNode chat, Echo echo) {}

    public static Translated toChat(byte[] body) {
        JsonNode root = dev.llmgateway.gateway.api.ClientText.readObject(body);
        // Checked in the client's own terms, so that param names the field the client sent (see ClientText).
        dev.llmgateway.gateway.api.ClientText.checkTree(root, "");
        for (String stateful : new String[] {"previous_response_id", "conversation"}) {
            JsonNode v = root.get(stateful);
            if (v != null && !v.isNull()) {
                throw bad("'" + stateful + "' is not supported: this gateway serves the Responses API statelessly; send the whole conversation in 'input'", stateful);
            }
        }
        // Background responses are fetched later by id (GET /v1/responses/{id}), which a stateless gateway cannot serve:
        // answering synchronously would hand the SDK a finished response where it expects "queued" and then poll a 404.
        JsonNode background = root.get("background");
        if (background != null && !background.isNull() && !(background.isBoolean() && !background.asBoolean())) {
            throw bad("'background' is not supported: this gateway serves the Responses API statelessly and answers in the request"
                    + " (stream it with 'stream': true instead)", "background");
        }
        ObjectNode chat = F.objectNode();
        JsonNode model = root.get("model");
        if (model == null || model.isNull()) throw bad("'model' is required", "model");
        if (!model.isTextual() || model.asText().isBlank()) throw bad("'model' must be a non-empty string (a route name)", "model");
        chat.put("model", model.asText());
        ArrayNode messages = chat.putArray("messages");
        JsonNode instructions = root.get("instructions");
        if (instructions != null && !instructions.isNull()) {
            if (!instructions.isTextual()) throw bad("'instructions' must be a string", "instructions");
            messages.addObject().put("role", "system").put("content", instructions.asText());
        }
        JsonNode input = root.get("input");
        if (input == null || input.isNull()) throw bad("'input' is required", "input");
        if (input.isTextual()) {
            messages.addObject().put("role", "user").put("content", input.asText());
        } else if (input.isArray()) {
            for (int i = 0; i < input.size(); i++) item(input.get(i), "input[" + i + "]", messages);
        } else {
            throw bad("'input' must be a string or an array of input items", "input");
        }
        if (messages.isEmpty()) throw bad("'input' must contain at least one message", "input");

        JsonNode max = root.get("max_output_tokens");
        if (max != null && !max.isNull()) {
            if (!max.isIntegralNumber() || !max.canConvertToInt() || max.asInt() < 1) {
                throw bad("'max_output_tokens' must be a positive integer", "max_output_tokens");
            }
            chat.put("max_tokens", max.asInt());
        }
        for (String f : new String[] {"temperature", "top_p", "user", "parallel_tool_calls"}) {
            JsonNode v = root.get(f);
            if (v != null && !v.isNull()) chat.set(f, v);
        }
        JsonNode safety = root.get("safety_identifier");
        if (!chat.has("user") && safety != null && safety.isTextual()) chat.put("user", safety.asText());
        tools(root, chat);
        format(root.get("text"), chat);
        JsonNode stream = root.get("stream");
        if (stream != null && !stream.isNull()) {
            if (!stream.isBoolean()) throw bad("'stream' must be a boolean", "stream");
            if (stream.asBoolean()) {
                chat.put("stream", true);
                // response.completed carries usage: always ask for it.
                chat.putObject("stream_options").put("include_usage", true);
            }
        }
        Echo echo = new Echo(model.asText(), orNull(instructions), orNull(max), orNull(root.get("temperature")), orNull(root.get("top_p")),
                root.has("tools") ? root.get("tools") : F.arrayNode(), root.has("tool_choice") ? root.get("tool_choice") : F.textNode("auto"),
                root.get("text"), root.has("metadata") && root.get("metadata").isObject() ? root.get("metadata") : F.objectNode(),
                root.path("parallel_tool_calls").asBoolean(true));
        return new Translated(chat, echo);
    }

    private static void item(JsonNode item, String path, ArrayNode out) {
        if (item.isTextual()) {
            out.addObject().put("role", "user").put("content", item.asText());
            return;
        }
        if (!item.isObject()) throw bad("'" + path + "' must be an object", path);
        String type = item.path("type").asText("message");
        switch (type) {
            case "message" -> message(item, path, out);
            case "function_call" -> {
                if (!item.path("call_id").isTextual() || !item.path("name").isTextual()) {
                    throw bad("'" + path + "' needs 'call_id' and 'name'", path);
                }
                ObjectNode last = out.isEmpty() ? null : (ObjectNode) out.get(out.size() - 1);
                ObjectNode assistant;
                if (last != null && "assistant".equals(last.path("role").asText()) && last.has("tool_calls")) {
                    assistant = last;
                } else {
                    assistant = out.addObject().put("role", "assistant");
                    assistant.putNull("content");
                    assistant.putArray("tool_calls");
                }
                ((ArrayNode) assistant.get("tool_calls")).addObject().put("id", item.get("call_id").asText()).put("type", "function")
                        .putObject("function").put("name", item.get("name").asText()).put("arguments", item.path("arguments").asText("{}"));
            }
            case "function_call_output" -> {
                if (!item.path("call_id").isTextual()) throw bad("'" + path + ".call_id' is required", path + ".call_id");
                JsonNode output = item.get("output");
                String text = output == null || output.isNull() ? "" : output.isTextual() ? output.asText() : textOf(output, path + ".output");
                out.addObject().put("role", "tool").put("tool_call_id", item.get("call_id").asText()).put("content", text);
            }
            case "reasoning" -> { }
            default -> throw bad("'" + path + ".type' '" + type + "' is not supported", path + ".type");
        }
    }

    private static void message(JsonNode item, String path, ArrayNode out) {
        String role = item.path("role").asText();
        if (!role.equals("user") && !role.equals("assistant") && !role.equals("system") && !role.equals("developer")) {
            throw bad("'" + path + ".role' must be one of user, assistant, system, developer", path + ".role");
        }
        JsonNode content = item.get("content");
        if (content == null || content.isNull()) throw bad("'" + path + ".content' is required", path + ".content");
        if (content.isTextual()) {
            out.addObject().put("role", role).put("content", content.asText());
            return;
        }
        if (!content.isArray()) throw bad("'" + path + ".content' must be a string or an array of content parts", path + ".content");
        ArrayNode parts = F.arrayNode();
        for (int i = 0; i < content.size(); i++) {
            JsonNode p = content.get(i);
            String pp = path + ".content[" + i + "]";
            switch (p.path("type").asText()) {
                case "input_text", "output_text", "text" -> {
                    if (!p.path("text").isTextual()) throw bad("'" + pp + ".text' is required", pp + ".text");
                    parts.addObject().put("type", "text").put("text", p.get("text").asText());
                }
                case "refusal" -> parts.addObject().put("type", "text").put("text", p.path("refusal").asText(""));
                case "input_image" -> {
                    if (!p.path("image_url").isTextual()) throw bad("'" + pp + ".image_url' is required (file ids are not supported)", pp + ".image_url");
                    ObjectNode image = parts.addObject().put("type", "image_url").putObject("image_url").put("url", p.get("image_url").asText());
                    if (p.path("detail").isTextual()) image.put("detail", p.get("detail").asText());
                }
                default -> throw bad("'" + pp + ".type' '" + p.path("type").asText() + "' is not supported", pp + ".type");
            }
        }
        ObjectNode msg = out.addObject().put("role", role);
        boolean allText = true;
        for (JsonNode p : parts) allText &= "text".equals(p.path("type").asText());
        if (allText && (role.equals("assistant") || role.equals("system") || role.equals("developer") || parts.size() == 1)) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode p : parts) sb.append(p.path("text").asText());
            msg.put("content", sb.toString());
        } else {
            msg.set("content", parts);
        }
    }

    private static String textOf(JsonNode parts, String path) {
        if (!parts.isArray()) throw bad("'" + path + "' must be a string or an array of parts", path);
        StringBuilder sb = new StringBuilder();
        for (JsonNode p : parts) sb.append(p.path("text").asText(""));
        return sb.toString();
    }

    private static void tools(JsonNode root, ObjectNode chat) {
        JsonNode tools = root.get("tools");
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) throw bad("'tools' must be an array", "tools");
            ArrayNode out = F.arrayNode();
            for (int i = 0; i < tools.size(); i++) {
                JsonNode t = tools.get(i);
                if (!"function".equals(t.path("type").asText()) || !t.path("name").isTextual()) {
                    throw bad("'tools[" + i + "]': only function tools ({\"type\":\"function\",\"name\":...}) are supported", "tools[" + i + "]");
                }
                ObjectNode fn = out.addObject().put("type", "function").putObject("function").put("name", t.get("name").asText());
                if (t.path("description").isTextual()) fn.put("description", t.get("description").asText());
                if (t.has("parameters") && t.get("parameters").isObject()) fn.set("parameters", t.get("parameters"));
                if (t.path("strict").isBoolean()) fn.put("strict", t.get("strict").asBoolean());
            }
            if (!out.isEmpty()) chat.set("tools", out);
        }
        JsonNode choice = root.get("tool_choice");
        if (choice == null || choice.isNull() || !chat.has("tools")) return;
        if (choice.isTextual()) {
            chat.put("tool_choice", choice.asText());
        } else if (choice.isObject() && "function".equals(choice.path("type").asText()) && choice.path("name").isTextual()) {
            chat.putObject("tool_choice").put("type", "function").putObject("function").put("name", choice.get("name").asText());
        } else {
            throw bad("'tool_choice' must be auto, none, required or {\"type\":\"function\",\"name\":...}", "tool_choice");
        }
    }

    private static void format(JsonNode text, ObjectNode chat) {
        if (text == null || text.isNull()) return;
        JsonNode f = text.get("format");
        if (f == null || f.isNull()) return;
        switch (f.path("type").asText()) {
            case "text" -> { }
            case "json_object" -> chat.putObject("response_format").put("type", "json_object");
            case "json_schema" -> {
                ObjectNode rf = chat.putObject("response_format").put("type", "json_schema");
                ObjectNode schema = rf.putObject("json_schema");
                schema.put("name", f.path("name").asText("response"));
                if (f.has("schema")) schema.set("schema", f.get("schema"));
                if (f.path("strict").isBoolean()) schema.put("strict", f.get("strict").asBoolean());
                if (f.path("description").isTextual()) schema.put("description", f.get("description").asText());
            }
            default -> throw bad("'text.format.type' must be text, json_object or json_schema", "text.format.type");
        }
    }

    private static JsonNode orNull(JsonNode n) { return n == null ? F.nullNode() : n; }

    private static GatewayError.Failure bad(String message, String param) {
        return new GatewayError.Failure(new GatewayError.BadRequest(message, param));
    }
}
