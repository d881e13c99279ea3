package dev.llmgateway.gateway.providers;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SseParserTest {
    private static List<String> parse(byte[] bytes, int[] cuts) {
        List<String> out = new ArrayList<>();
        SseParser p = new SseParser((event, data) -> out.add(event + "|" + data));
        int from = 0;
        for (int cut : cuts) {
            p.feed(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, from, cut)));
            from = cut;
        }
        p.feed(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, from, bytes.length)));
        p.end();
        return out;
    }

    @Test
    void eventsFieldsCommentsAndLineEnds() {
        String stream = ": keep-alive\n\nevent: message_start\ndata: {\"a\":1}\n\ndata:no space\r\n\r\ndata: one\ndata: two\nid: 7\nretry\n\n"
                + "event:ping\n\ndata\n\ndata: tail without blank line";
        assertThat(parse(stream.getBytes(StandardCharsets.UTF_8), new int[0])).containsExactly(
                "message_start|{\"a\":1}", "|no space", "|one\ntwo", "|", "|tail without blank line");
    }

    /** Seeded random streams cut at random byte offsets (inside CRLF and multi-byte characters too): same events. */
    @Test
    void anySplitOfTheBytesGivesTheSameEvents() {
        Random r = new Random(2026);
        String[] texts = {"{\"choices\":[{\"delta\":{\"content\":\"h\u00e9\u4e2d\ud83d\ude00\"}}]}", "[DONE]", "", " lead", "a:b:c", "x"};
        for (int round = 0; round < 500; round++) {
            StringBuilder s = new StringBuilder();
            List<String> expected = new ArrayList<>();
            for (int e = r.nextInt(6); e > 0; e--) {
                String nl = r.nextBoolean() ? "\n" : "\r\n";
                if (r.nextInt(4) == 0) s.append(": comment").append(nl);
                String name = r.nextBoolean() ? "" : "ev" + r.nextInt(3);
                if (!name.isEmpty()) s.append("event: ").append(name).append(nl);
                List<String> lines = new ArrayList<>();
                for (int l = 1 + r.nextInt(2); l > 0; l--) {
                    String t = texts[r.nextInt(texts.length)];
                    boolean spaced = r.nextBoolean();
                    s.append(spaced ? "data: " : "data:").append(t).append(nl);
                    // One space after the colon is dropped: "data:" + " lead" reads "lead", "data: " + " lead" reads " lead".
                    lines.add(!spaced && t.startsWith(" ") ? t.substring(1) : t);
                }
                s.append(nl);
                expected.add(name + "|" + String.join("\n", lines));
            }
            byte[] bytes = s.toString().getBytes(StandardCharsets.UTF_8);
            List<String> whole = parse(bytes, new int[0]);
            int[] cuts = r.ints(r.nextInt(5), 0, bytes.length + 1).sorted().toArray();
            assertThat(parse(bytes, cuts)).as(s.toString()).isEqualTo(whole);
            int[] everyByte = java.util.stream.IntStream.rangeClosed(1, bytes.length - 1).toArray();
            assertThat(parse(bytes, bytes.length > 1 ? everyByte : new int[0])).isEqualTo(whole);
            assertThat(whole).isEqualTo(expected);
        }
    }
}
