package dev.llmgateway.engine.internal;

import dev.llmgateway.engine.EngineMessage;

import java.util.List;

/** The one JSON document the engine writes itself: the messages handed to llama.cpp's template renderer. */
final class Json {

    private Json() {}

    static String chatTemplateRequest(List<EngineMessage> messages) {
        StringBuilder json = new StringBuilder("{\"add_generation_prompt\": true, \"messages\": [");
        for (int i = 0; i < messages.size(); i++) {
            EngineMessage m = messages.get(i);
            if (i > 0) json.append(", ");
            json.append("{\"role\": ");
            quote(json, m.role());
            json.append(", \"content\": ");
            quote(json, m.content());
            json.append('}');
        }
        return json.append("]}").toString();
    }

    static void quote(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || Character.isSurrogate(c) && !validSurrogate(text, i)) {
                        out.append(String.format("\\u%04x", (int) (c < 0x20 ? c : 0xfffd)));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static boolean validSurrogate(String text, int i) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
    }
}
