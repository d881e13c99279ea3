package dev.llmgateway.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A provider on loopback that speaks OpenAI's chat-completions/completions/embeddings, Anthropic's Messages, Azure OpenAI's
 * deployment URLs ({@code /openai/deployments/{deployment}/...?api-version=}, {@code api-key} header; the deployment
 * stands for the model) and Google Gemini's {@code /v1beta/models/{model}:generateContent} and
 * {@code :streamGenerateContent?alt=sse} ({@link FakeGemini}) wire formats, streaming included, with faults scripted
 * per upstream model over a small control API:
 * <ul>
 *   <li>{@code POST /_control/script} {@code {"model":"m","steps":["500","429:1","ok"]}}: the next requests for model m
 *       behave as listed, then normally;</li>
 *   <li>steps: {@code ok}, {@code say:<text>} (answer with this text), {@code <status>[:<retry-after seconds>]}, {@code hang},
 *       {@code 401-echo-key} (a 401 whose message echoes the received key, as OpenAI's does in part),
 *       {@code judge-rule} (a gullible scripted judge, see {@link #judgeByRule}), {@code firehose:<n>} (a stream of n
 *       1 KiB chunks as fast as the connection takes them; stats report {@code firehose_written}), {@code stall-mid-stream}
 *       (a stream that sends two events, then nothing), {@code disconnect} (mid-stream, or before the body), {@code malformed}, {@code slow:<ms>},
 *       {@code slow-first:<ms>} (OpenAI streams: the 200 and headers at once, the first chunk after ms), {@code stream-error} (an error event mid-stream),
 *       {@code finish:<REASON>} (Gemini only: end with this finishReason, e.g. MAX_TOKENS, SAFETY),
 *       {@code worst} (a non-streamed answer billed as the provider's worst case: every one of {@code n} choices runs to
 *       {@code max_completion_tokens} / {@code max_tokens}, each image part costs the documented worst case, 1445
 *       tokens at OpenAI (high detail, 768 x 2048), 1600 at Anthropic, and tools cost a 346-token preamble plus their
 *       JSON at one token per 4 characters);</li>
 *   <li>{@code GET /_control/stats?model=m}: requests received, the last request body, headers and path (with query),
 *       aborted connections, and {@code credentials}: how many requests came with each credential (bearer, api-key,
 *       x-api-key or x-goog-api-key value: this fake is for tests and echoes them);</li>
 *   <li>{@code POST /_control/reset}.</li>
 * </ul>
 * The answer text is {@code "Hello from <model> you said <n> words"}; usage counts words, so tests can check it.
 */
public final class FakeUpstream implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final Vertx vertx;
    private final HttpServer server;
    private final Map<String, Deque<String>> scripts = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> aborted = new ConcurrentHashMap<>();
    private final Map<String, JsonNode> lastBody = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> lastHeaders = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> firehoseWritten = new ConcurrentHashMap<>();
    private final Map<String, String> lastUri = new ConcurrentHashMap<>();
    private final Map<String, Map<String, AtomicInteger>> credentials = new ConcurrentHashMap<>();

    private FakeUpstream(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    public static FakeUpstream start() {
        Vertx vertx = Vertx.vertx();
        FakeUpstream[] self = new FakeUpstream[1];
        HttpServer server = vertx.createHttpServer().requestHandler(req -> self[0].handle(req));
        self[0] = new FakeUpstream(vertx, server);
        try {
            server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("fake upstream did not start", e);
        }
        return self[0];
    }

    public int port() { return server.actualPort(); }

    @Override
    public void close() { vertx.close(); }

    private void handle(HttpServerRequest req) {
        req.body().onSuccess(body -> {
            String path = req.path();
            try {
                switch (path) {
                    case "/_control/script" -> {
                        JsonNode n = JSON.readTree(body.getBytes());
                        Deque<String> q = scripts.computeIfAbsent(n.path("model").asText(), k -> new ArrayDeque<>());
                        synchronized (q) {
                            n.path("steps").forEach(s -> q.add(s.asText()));
                        }
                        req.response().end("{}");
                    }
                    case "/_control/reset" -> {
                        scripts.clear();
                        counts.clear();
                        aborted.clear();
                        lastBody.clear();
                        lastHeaders.clear();
                        lastUri.clear();
                        credentials.clear();
                        req.response().end("{}");
                    }
                    case "/_control/stats" -> {
                        String model = req.getParam("model");
                        ObjectNode out = F.objectNode();
                        out.put("requests", counts.getOrDefault(model, new AtomicInteger()).get());
                        out.put("aborted", aborted.getOrDefault(model, new AtomicInteger()).get());
                        out.put("firehose_written", firehoseWritten.getOrDefault(model, new AtomicInteger()).get());
                        out.set("last_body", lastBody.getOrDefault(model, F.nullNode()));
                        out.set("last_headers", JSON.valueToTree(lastHeaders.getOrDefault(model, Map.of())));
                        out.put("last_uri", lastUri.getOrDefault(model, ""));
                        ObjectNode creds = out.putObject("credentials");
                        credentials.getOrDefault(model, Map.of()).forEach((k, v) -> creds.put(k, v.get()));
                        req.response().putHeader("content-type", "application/json").end(out.toString());
                    }
                    case "/v1/chat/completions", "/v1/messages", "/v1/embeddings", "/v1/completions" -> provider(req, path, JSON.readTree(body.getBytes()));
                    default -> {
                        java.util.regex.Matcher azure = AZURE.matcher(path);
                        java.util.regex.Matcher gemini = GEMINI.matcher(path);
                        if (azure.matches()) {
                            azure(req, azure.group(1), azure.group(2), (ObjectNode) JSON.readTree(body.getBytes()));
                        } else if (gemini.matches()) {
                            gemini(req, gemini.group(1), gemini.group(2), (ObjectNode) JSON.readTree(body.getBytes()));
                        } else {
                            req.response().setStatusCode(404).end("{\"error\":{\"message\":\"no route " + path + "\"}}");
                        }
                    }
                }
            } catch (Exception e) {
                req.response().setStatusCode(400).end("{\"error\":{\"message\":\"fake upstream could not parse the body\"}}");
            }
        });
    }

    private static final java.util.regex.Pattern AZURE = java.util.regex.Pattern.compile("/openai/deployments/([^/]+)/(chat/completions|completions|embeddings)");
    private static final java.util.regex.Pattern GEMINI = java.util.regex.Pattern.compile("/v1beta/models/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)");

    private static final String AZURE_CHAT = "/azure/chat/completions";

    /** Azure OpenAI: OpenAI's bodies behind a deployment URL; like Azure, 404 without api-version, 401 without api-key. */
    private void azure(HttpServerRequest req, String deployment, String operation, ObjectNode body) {
        if (req.getParam("api-version") == null) {
            req.response().setStatusCode(404).putHeader("content-type", "application/json")
                    .end("{\"error\":{\"code\":\"404\",\"message\":\"Resource not found\"}}");
            return;
        }
        if (req.getHeader("api-key") == null) {
            req.response().setStatusCode(401).putHeader("content-type", "application/json")
                    .end("{\"error\":{\"code\":\"401\",\"message\":\"Access denied due to invalid subscription key or wrong API endpoint.\"}}");
            return;
        }
        body.put("model", deployment);
        provider(req, operation.equals("embeddings") ? "/v1/embeddings" : operation.equals("completions") ? "/v1/completions" : AZURE_CHAT, body);
    }

    /** Google Gemini: 403 without x-goog-api-key, as Google answers unregistered callers. */
    private void gemini(HttpServerRequest req, String model, String method, ObjectNode body) {
        if (req.getHeader("x-goog-api-key") == null) {
            req.response().setStatusCode(403).putHeader("content-type", "application/json")
                    .end("{\"error\":{\"code\":403,\"message\":\"Method doesn't allow unregistered callers\",\"status\":\"PERMISSION_DENIED\"}}");
            return;
        }
        boolean stream = method.equals("streamGenerateContent");
        if (stream && !"sse".equals(req.getParam("alt"))) {
            req.response().setStatusCode(400).end("{\"error\":{\"code\":400,\"message\":\"this fake streams only with alt=sse\",\"status\":\"INVALID_ARGUMENT\"}}");
            return;
        }
        String step = received(req, model, body);
        HttpServerResponse resp = req.response();
        if (method.equals("batchEmbedContents")) {
            if (step.matches("\\d{3}(:\\d+)?")) {
                geminiAnswer(resp, model, body, false, step);
            } else {
                resp.putHeader("content-type", "application/json").end(FakeGemini.embeddings(body).toString());
            }
            return;
        }
        if (step.startsWith("slow:")) {
            vertx.setTimer(Long.parseLong(step.substring(5)), id -> geminiAnswer(resp, model, body, stream, "ok"));
            return;
        }
        geminiAnswer(resp, model, body, stream, step);
    }

    private void geminiAnswer(HttpServerResponse resp, String model, ObjectNode body, boolean stream, String step) {
        if (step.equals("hang")) return;
        if (step.matches("\\d{3}(:\\d+)?")) {
            String[] parts = step.split(":");
            if (parts.length > 1) resp.putHeader("retry-after", parts[1]);
            resp.setStatusCode(Integer.parseInt(parts[0])).putHeader("content-type", "application/json")
                    .end(FakeGemini.error(Integer.parseInt(parts[0]), "injected " + parts[0]).toString());
            return;
        }
        if (step.equals("disconnect") && !stream) {
            resp.setStatusCode(200).putHeader("content-type", "application/json").setChunked(true).write("{\"candidates\":");
            vertx.setTimer(20, id -> resp.reset());
            return;
        }
        if (step.equals("malformed") && !stream) {
            resp.putHeader("content-type", "application/json").end("{this is not json");
            return;
        }
        int words = FakeGemini.promptWords(body);
        String text = step.startsWith("say:") ? step.substring(4) : "Hello from " + model + " you said " + words + " words";
        String finish = step.startsWith("finish:") ? step.substring(7) : "STOP";
        String tool = FakeGemini.firstFunction(body);
        if (!stream) {
            resp.putHeader("content-type", "application/json").end(FakeGemini.response(model, text, words, tool, finish).toString());
            return;
        }
        resp.setStatusCode(200).putHeader("content-type", "text/event-stream").setChunked(true);
        List<String> events = new ArrayList<>();
        FakeGemini.streamChunks(model, text, words, tool, finish).forEach(c -> events.add(c.toString()));
        sendEvents(resp, events, step.startsWith("finish:") ? "ok" : step, "gemini");
    }

    /** Counts the request, keeps its body, headers, URI and credential, and takes the next scripted step. */
    private String received(HttpServerRequest req, String model, JsonNode body) {
        counts.computeIfAbsent(model, k -> new AtomicInteger()).incrementAndGet();
        lastBody.put(model, body);
        lastUri.put(model, req.uri());
        Map<String, String> headers = new java.util.TreeMap<>();
        req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
        lastHeaders.put(model, headers);
        String credential = headers.getOrDefault("authorization", headers.getOrDefault("api-key",
                headers.getOrDefault("x-api-key", headers.getOrDefault("x-goog-api-key", ""))));
        if (credential.startsWith("Bearer ")) credential = credential.substring(7);
        credentials.computeIfAbsent(model, k -> new ConcurrentHashMap<>()).computeIfAbsent(credential, k -> new AtomicInteger()).incrementAndGet();
        HttpServerResponse resp = req.response();
        resp.closeHandler(v -> {
            if (!resp.ended()) aborted.computeIfAbsent(model, k -> new AtomicInteger()).incrementAndGet();
        });
        String step = "ok";
        Deque<String> q = scripts.get(model);
        if (q != null) {
            synchronized (q) {
                if (!q.isEmpty()) step = q.poll();
            }
        }
        return step;
    }

    private void provider(HttpServerRequest req, String path, JsonNode body) {
        String model = body.path("model").asText();
        String step = received(req, model, body);
        HttpServerResponse resp = req.response();
        boolean anthropic = path.equals("/v1/messages");
        boolean stream = body.path("stream").asBoolean(false);
        if (step.startsWith("slow:")) {
            long ms = Long.parseLong(step.substring(5));
            vertx.setTimer(ms, id -> answer(resp, path, body, model, anthropic, stream, "ok"));
            return;
        }
        if (step.startsWith("slow-first:") && stream && !anthropic) {
            // A model slow to its first token: the 200 and headers at once, the first chunk later.
            resp.setStatusCode(200).putHeader("content-type", "text/event-stream").setChunked(true).writeHead();
            vertx.setTimer(Long.parseLong(step.substring(11)), id -> answer(resp, path, body, model, false, true, "ok"));
            return;
        }
        answer(resp, path, body, model, anthropic, stream, step);
    }

    private void answer(HttpServerResponse resp, String path, JsonNode body, String model, boolean anthropic, boolean stream, String step) {
        if (step.equals("hang")) return;
        if (step.startsWith("firehose:") && stream && !anthropic) {
            firehose(resp, model, Integer.parseInt(step.substring(9)));
            return;
        }
        if (step.equals("401-echo-key")) {
            // As OpenAI does: the refused key's tail in the message (here the whole key too, to prove it is scrubbed).
            String auth = lastHeaders.getOrDefault(model, Map.of()).getOrDefault(anthropic ? "x-api-key" : "authorization", "");
            String key = auth.startsWith("Bearer ") ? auth.substring(7) : auth;
            String tail = key.length() > 4 ? key.substring(key.length() - 4) : key;
            String msg = "Incorrect API key provided: " + (key.length() > 8 ? key.substring(0, 8) : "") + "****************" + tail
                    + ". You can find your API key at https://platform.openai.com/account/api-keys. Received: " + key;
            ObjectNode err = F.objectNode();
            err.putObject("error").put("message", msg).put("type", "invalid_request_error").put("code", "invalid_api_key");
            resp.setStatusCode(401).putHeader("content-type", "application/json").end(err.toString());
            return;
        }
        if (step.matches("\\d{3}(:\\d+)?")) {
            String[] parts = step.split(":");
            if (parts.length > 1) resp.putHeader("retry-after", parts[1]);
            String err = anthropic
                    ? "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"injected " + parts[0] + "\"}}"
                    : "{\"error\":{\"message\":\"injected " + parts[0] + "\",\"type\":\"server_error\"}}";
            resp.setStatusCode(Integer.parseInt(parts[0])).putHeader("content-type", "application/json").end(err);
            return;
        }
        if (step.equals("disconnect") && !stream) {
            resp.setStatusCode(200).putHeader("content-type", "application/json").setChunked(true).write("{\"id\":");
            vertx.setTimer(20, id -> resp.reset());
            return;
        }
        if (step.equals("malformed") && !stream) {
            resp.putHeader("content-type", "application/json").end("{this is not json");
            return;
        }
        if (step.equals("worst") && !stream && !path.equals("/v1/embeddings")) {
            resp.putHeader("content-type", "application/json").end(worstCase(body, model, anthropic).toString());
            return;
        }
        int words = countWords(body, anthropic);
        String text = step.startsWith("say:") ? step.substring(4) : "Hello from " + model + " you said " + words + " words";
        if (step.equals("judge-rule")) text = judgeByRule(body);
        if (path.equals("/v1/embeddings")) {
            ObjectNode out = F.objectNode();
            out.put("object", "list");
            ArrayNode data = out.putArray("data");
            ObjectNode e = data.addObject();
            e.put("object", "embedding");
            e.put("index", 0);
            e.putArray("embedding").add(0.1).add(0.2).add(0.3);
            out.put("model", model);
            out.putObject("usage").put("prompt_tokens", words).put("total_tokens", words);
            resp.putHeader("content-type", "application/json").end(out.toString());
            return;
        }
        if (path.equals("/v1/completions")) {
            textCompletion(resp, model, text, words, body, stream, step);
            return;
        }
        JsonNode tools = body.get("tools");
        String toolName = tools != null && tools.isArray() && !tools.isEmpty()
                ? (anthropic ? tools.get(0).path("name").asText() : tools.get(0).path("function").path("name").asText()) : null;
        if (anthropic) {
            if (stream) anthropicStream(resp, model, text, words, toolName, step);
            else resp.putHeader("content-type", "application/json").end(anthropicMessage(model, text, words, toolName).toString());
        } else {
            boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
            if (stream) openAiStream(resp, model, text, words, toolName, includeUsage, step, path.equals(AZURE_CHAT));
            else resp.putHeader("content-type", "application/json").end(openAiCompletion(model, text, words, toolName).toString());
        }
    }

    /** Tokens one image costs at worst, by the provider's documentation. */
    public static final int OPENAI_IMAGE_WORST_TOKENS = 1445, ANTHROPIC_IMAGE_WORST_TOKENS = 1600, TOOLS_PREAMBLE_TOKENS = 346;

    private static ObjectNode worstCase(JsonNode body, String model, boolean anthropic) {
        int images = 0;
        for (JsonNode m : body.path("messages")) {
            for (JsonNode part : m.path("content")) {
                String type = part.path("type").asText();
                if (type.equals("image_url") || type.equals("image")) images++;
            }
        }
        long prompt = countWords(body, anthropic) + (long) images * (anthropic ? ANTHROPIC_IMAGE_WORST_TOKENS : OPENAI_IMAGE_WORST_TOKENS);
        JsonNode tools = body.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) prompt += TOOLS_PREAMBLE_TOKENS + tools.toString().length() / 4;
        int perChoice = Math.max(body.path("max_tokens").asInt(0), body.path("max_completion_tokens").asInt(0));
        if (perChoice == 0) perChoice = 16;
        int n = anthropic ? 1 : Math.max(1, body.path("n").asInt(1));
        String text = "w" + " w".repeat(perChoice - 1);
        ObjectNode out = F.objectNode();
        out.put("model", model);
        if (anthropic) {
            out.put("id", "msg_fake").put("type", "message").put("role", "assistant");
            out.putArray("content").addObject().put("type", "text").put("text", text);
            out.put("stop_reason", "max_tokens");
            out.putNull("stop_sequence");
            out.putObject("usage").put("input_tokens", prompt).put("output_tokens", perChoice);
            return out;
        }
        out.put("id", "chatcmpl-fake").put("object", "chat.completion").put("created", 1_700_000_000L);
        ArrayNode choices = out.putArray("choices");
        for (int i = 0; i < n; i++) {
            ObjectNode c = choices.addObject();
            c.put("index", i);
            c.putObject("message").put("role", "assistant").put("content", text);
            c.put("finish_reason", "length");
        }
        out.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", (long) perChoice * n)
                .put("total_tokens", prompt + (long) perChoice * n);
        return out;
    }

    private static int countWords(JsonNode body, boolean anthropic) {
        int words = 0;
        JsonNode prompt = body.get("prompt");
        if (prompt != null) {
            for (JsonNode i : prompt.isArray() ? prompt : F.arrayNode().add(prompt)) {
                words += i.asText().isBlank() ? 0 : i.asText().trim().split("\\s+").length;
            }
        }
        JsonNode input = body.get("input");
        if (input != null) {
            for (JsonNode i : input.isArray() ? input : F.arrayNode().add(input)) words += i.asText().trim().split("\\s+").length;
        }
        if (anthropic && body.path("system").isTextual()) words += body.path("system").asText().split("\\s+").length;
        for (JsonNode m : body.path("messages")) {
            JsonNode c = m.get("content");
            if (c == null) continue;
            if (c.isTextual()) {
                words += c.asText().isBlank() ? 0 : c.asText().trim().split("\\s+").length;
            } else {
                for (JsonNode part : c) {
                    String t = part.path("text").asText(part.path("content").asText(""));
                    words += t.isBlank() ? 0 : t.trim().split("\\s+").length;
                }
            }
        }
        return words;
    }

    /**
     * Legacy {@code /v1/completions}: {@code n} choices per prompt (index = prompt x n + choice), text
     * {@code "Hello from <model> you said <n> words"}, finish {@code length} when {@code max_tokens} is below its word
     * count (the text is then cut to that many words); streamed as {@code text_completion} chunks.
     */
    private void textCompletion(HttpServerResponse resp, String model, String text, int promptWords, JsonNode body, boolean stream, String step) {
        int prompts = body.path("prompt").isArray() ? Math.max(1, body.path("prompt").size()) : 1;
        int n = Math.max(1, body.path("n").asInt(1));
        int max = body.path("max_tokens").asInt(0);
        String[] words = text.split(" ");
        String finish = "stop";
        if (max > 0 && max < words.length) {
            words = java.util.Arrays.copyOf(words, max);
            finish = "length";
        }
        int choices = prompts * n;
        long completion = (long) words.length * choices;
        ObjectNode usage = F.objectNode().put("prompt_tokens", promptWords).put("completion_tokens", completion)
                .put("total_tokens", promptWords + completion);
        if (!stream) {
            ObjectNode out = F.objectNode();
            out.put("id", "cmpl-fake").put("object", "text_completion").put("created", 1_700_000_000L).put("model", model);
            ArrayNode cs = out.putArray("choices");
            for (int i = 0; i < choices; i++) {
                cs.addObject().put("text", String.join(" ", words)).put("index", i).putNull("logprobs").put("finish_reason", finish);
            }
            out.set("usage", usage);
            resp.putHeader("content-type", "application/json").end(out.toString());
            return;
        }
        boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
        resp.setStatusCode(200).putHeader("content-type", "text/event-stream").setChunked(true);
        List<String> events = new ArrayList<>();
        for (int c = 0; c < choices; c++) {
            for (int i = 0; i < words.length; i++) events.add(textChunk(model, c, (i == 0 ? "" : " ") + words[i], null, includeUsage));
            events.add(textChunk(model, c, "", finish, includeUsage));
        }
        if (includeUsage) {
            ObjectNode u = F.objectNode();
            u.put("id", "cmpl-fake").put("object", "text_completion").put("created", 1_700_000_000L).put("model", model);
            u.putArray("choices");
            u.set("usage", usage);
            events.add(u.toString());
        }
        events.add("[DONE]");
        sendEvents(resp, events, step, null);
    }

    private static String textChunk(String model, int index, String text, String finish, boolean includeUsage) {
        ObjectNode c = F.objectNode();
        c.put("id", "cmpl-fake").put("object", "text_completion").put("created", 1_700_000_000L).put("model", model);
        ObjectNode choice = c.putArray("choices").addObject();
        choice.put("text", text).put("index", index).putNull("logprobs");
        if (finish == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finish);
        if (includeUsage) c.putNull("usage");
        return c.toString();
    }

    private static ObjectNode openAiCompletion(String model, String text, int promptWords, String tool) {
        ObjectNode out = F.objectNode();
        out.put("id", "chatcmpl-fake");
        out.put("object", "chat.completion");
        out.put("created", 1_700_000_000L);
        out.put("model", model);
        ObjectNode choice = out.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode msg = choice.putObject("message");
        msg.put("role", "assistant");
        if (tool != null) {
            msg.putNull("content");
            ObjectNode call = msg.putArray("tool_calls").addObject();
            call.put("id", "call_1");
            call.put("type", "function");
            call.putObject("function").put("name", tool).put("arguments", "{\"q\":\"x\"}");
            choice.put("finish_reason", "tool_calls");
        } else {
            msg.put("content", text);
            choice.put("finish_reason", "stop");
        }
        int completion = text.split(" ").length;
        out.putObject("usage").put("prompt_tokens", promptWords).put("completion_tokens", completion)
                .put("total_tokens", promptWords + completion);
        return out;
    }

    private void openAiStream(HttpServerResponse resp, String model, String text, int promptWords, String tool,
                              boolean includeUsage, String step, boolean azure) {
        if (!resp.headWritten()) resp.setStatusCode(200).putHeader("content-type", "text/event-stream").setChunked(true);
        List<String> events = new ArrayList<>();
        if (azure) {
            // Azure opens every stream with the prompt's content-filter results and no choices.
            events.add("{\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":"
                    + "[{\"prompt_index\":0,\"content_filter_results\":{\"hate\":{\"filtered\":false,\"severity\":\"safe\"}}}]}");
        }
        String[] words = text.split(" ");
        events.add(chunk(model, F.objectNode().put("role", "assistant").put("content", ""), null, includeUsage));
        if (tool != null) {
            ObjectNode delta = F.objectNode();
            ObjectNode call = delta.putArray("tool_calls").addObject();
            call.put("index", 0).put("id", "call_1").put("type", "function");
            call.putObject("function").put("name", tool).put("arguments", "{\"q\":\"x\"}");
            events.add(chunk(model, delta, null, includeUsage));
            events.add(chunk(model, F.objectNode(), "tool_calls", includeUsage));
        } else {
            for (int i = 0; i < words.length; i++) {
                events.add(chunk(model, F.objectNode().put("content", (i == 0 ? "" : " ") + words[i]), null, includeUsage));
            }
            events.add(chunk(model, F.objectNode(), "stop", includeUsage));
        }
        if (includeUsage) {
            ObjectNode u = F.objectNode();
            u.put("id", "chatcmpl-fake").put("object", "chat.completion.chunk").put("created", 1_700_000_000L).put("model", model);
            u.putArray("choices");
            u.putObject("usage").put("prompt_tokens", promptWords).put("completion_tokens", words.length)
                    .put("total_tokens", promptWords + words.length);
            events.add(u.toString());
        }
        events.add("[DONE]");
        sendEvents(resp, events, step, null);
    }

    /**
     * Streams {@code chunks} OpenAI chunks of about 1 KiB each as fast as the connection takes them (honouring its own
     * write queue), counting what it managed to write: a gateway that applies backpressure makes this count stall.
     */
    private void firehose(HttpServerResponse resp, String model, int chunks) {
        resp.setStatusCode(200).putHeader("content-type", "text/event-stream").setChunked(true);
        AtomicInteger written = firehoseWritten.computeIfAbsent(model, k -> new AtomicInteger());
        written.set(0);
        String filler = "x".repeat(1000);
        Runnable[] pump = new Runnable[1];
        pump[0] = () -> {
            while (!resp.closed() && written.get() < chunks && !resp.writeQueueFull()) {
                resp.write(Buffer.buffer("data: " + chunk(model, F.objectNode().put("content", filler), null, false) + "\n\n"));
                written.incrementAndGet();
            }
            if (resp.closed()) return;
            if (written.get() >= chunks) {
                resp.end("data: " + chunk(model, F.objectNode(), "stop", false) + "\n\ndata: [DONE]\n\n");
            } else {
                resp.drainHandler(v -> pump[0].run());
            }
        };
        pump[0].run();
    }

    private static String chunk(String model, ObjectNode delta, String finish, boolean includeUsage) {
        ObjectNode c = F.objectNode();
        c.put("id", "chatcmpl-fake").put("object", "chat.completion.chunk").put("created", 1_700_000_000L).put("model", model);
        ObjectNode choice = c.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        if (finish == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finish);
        if (includeUsage) c.putNull("usage");
        return c.toString();
    }

    private static ObjectNode anthropicMessage(String model, String text, int promptWords, String tool) {
        ObjectNode out = F.objectNode();
        out.put("id", "msg_fake").put("type", "message").put("role", "assistant").put("model", model);
        ArrayNode content = out.putArray("content");
        if (tool != null) {
            content.addObject().put("type", "text").put("text", "Let me check.");
            ObjectNode use = content.addObject();
            use.put("type", "tool_use").put("id", "toolu_1").put("name", tool);
            use.putObject("input").put("q", "x");
            out.put("stop_reason", "tool_use");
        } else {
            content.addObject().put("type", "text").put("text", text);
            out.put("stop_reason", "end_turn");
        }
        out.putNull("stop_sequence");
        out.putObject("usage").put("input_tokens", promptWords).put("output_tokens", text.split(" ").length)
                .put("cache_read_input_tokens", 2);
        return out;
    }

    private void anthropicStream(HttpServerResponse resp, String model, String text, int promptWords, String tool, String step) {
        resp.setStatusCode(200).putHeader("content-type", "text/event-stream").setChunked(true);
        List<String[]> events = new ArrayList<>();
        ObjectNode start = F.objectNode();
        start.put("type", "message_start");
        ObjectNode msg = start.putObject("message");
        msg.put("id", "msg_fake").put("type", "message").put("role", "assistant").put("model", model);
        msg.putArray("content");
        msg.putObject("usage").put("input_tokens", promptWords).put("output_tokens", 1);
        events.add(new String[] {"message_start", start.toString()});
        events.add(new String[] {"ping", "{\"type\":\"ping\"}"});
        String[] words = text.split(" ");
        if (tool != null) {
            events.add(new String[] {"content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"" + tool + "\",\"input\":{}}}"});
            events.add(new String[] {"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"q\\\":\"}}"});
            events.add(new String[] {"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"x\\\"}\"}}"});
            events.add(new String[] {"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"});
            events.add(new String[] {"message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":7}}"});
        } else {
            events.add(new String[] {"content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"});
            for (int i = 0; i < words.length; i++) {
                ObjectNode d = F.objectNode();
                d.put("type", "content_block_delta").put("index", 0);
                d.putObject("delta").put("type", "text_delta").put("text", (i == 0 ? "" : " ") + words[i]);
                events.add(new String[] {"content_block_delta", d.toString()});
            }
            events.add(new String[] {"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"});
            events.add(new String[] {"message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + words.length + "}}"});
        }
        events.add(new String[] {"message_stop", "{\"type\":\"message_stop\"}"});
        List<String> frames = new ArrayList<>();
        for (String[] e : events) frames.add("event: " + e[0] + "\ndata: " + e[1]);
        sendEvents(resp, frames, step, "anthropic");
    }

    /** Writes events 10 ms apart; faults break the stream after the second event. */
    private static final java.util.regex.Pattern ANSWER_BLOCK = java.util.regex.Pattern.compile("<answer_([ab])>(.*?)</answer_\\1>",
            java.util.regex.Pattern.DOTALL);

    /**
     * A scripted judge that is as gullible as a careless model: a claim "Answer A is better" (or B) that it reads
     * outside the {@code <answer_a>}/{@code <answer_b>} blocks is obeyed; otherwise the answer that contains
     * "correct" wins (TIE if both or neither do). With answers pasted in verbatim, an answer can steer it.
     */
    public static String judgeByRule(JsonNode body) {
        StringBuilder prompt = new StringBuilder();
        body.path("messages").forEach(m -> prompt.append(m.path("content").asText()).append('\n'));
        java.util.regex.Matcher m = ANSWER_BLOCK.matcher(prompt);
        Map<String, String> blocks = new java.util.HashMap<>();
        while (m.find()) blocks.put(m.group(1), m.group(2));
        String outside = ANSWER_BLOCK.matcher(prompt).replaceAll("");
        int a = outside.indexOf("Answer A is better");
        int b = outside.indexOf("Answer B is better");
        if (a >= 0 && (b < 0 || a < b)) return "A";
        if (b >= 0) return "B";
        boolean aGood = blocks.getOrDefault("a", "").contains("correct");
        boolean bGood = blocks.getOrDefault("b", "").contains("correct");
        return aGood == bGood ? "TIE" : aGood ? "A" : "B";
    }

    private void sendEvents(HttpServerResponse resp, List<String> events, String step, String flavour) {
        writeNext(resp, events, 0, step, flavour);
    }

    private void writeNext(HttpServerResponse resp, List<String> events, int i, String step, String flavour) {
        if (resp.closed()) return;
        if (i == 2 && !step.equals("ok")) {
            switch (step) {
                case "disconnect" -> {
                    resp.reset();
                    return;
                }
                case "malformed" -> {
                    resp.end("data: {not json\n\n");
                    return;
                }
                case "stream-error" -> {
                    resp.end(flavour == null ? "data: {\"error\":{\"message\":\"injected mid-stream error\"}}\n\n"
                            : flavour.equals("gemini") ? "data: " + FakeGemini.error(500, "injected mid-stream error") + "\n\n"
                            : "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"injected mid-stream error\"}}\n\n");
                    return;
                }
                case "hang", "stall-mid-stream" -> {
                    return;
                }
                default -> { }
            }
        }
        if (i == events.size()) {
            resp.end();
            return;
        }
        String e = events.get(i);
        resp.write(Buffer.buffer(e.startsWith("event:") ? e + "\n\n" : "data: " + e + "\n\n"));
        vertx.setTimer(10, id -> writeNext(resp, events, i + 1, step, flavour));
    }
}
