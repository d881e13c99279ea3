package dev.llmgateway.engine;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/** llama.cpp's own log reaches our logger (category dev.llmgateway.engine.llama) at DEBUG. */
class LlamaLogRoutingTest {

    @Test
    void llamaCppLogLinesArriveAsDebugRecordsOfTheEngineLogger() {
        Logger jul = Logger.getLogger("dev.llmgateway.engine.llama");
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override public void publish(LogRecord r) { records.add(r); }
            @Override public void flush() { }
            @Override public void close() { }
        };
        Level before = jul.getLevel();
        jul.setLevel(Level.ALL);
        jul.addHandler(handler);
        try (LocalEngine engine = LocalEngine.start(List.of(TestModel.config("logged").withPreload(true)))) {
            engine.generate("logged", GenerationRequest.greedy(List.of(EngineMessage.user("hi")), 4));
        } finally {
            jul.removeHandler(handler);
            jul.setLevel(before);
        }
        assertThat(records).isNotEmpty();
        assertThat(records).allSatisfy(r -> {
            assertThat(r.getLevel()).isEqualTo(Level.FINE);
            assertThat(r.getMessage()).startsWith("[llama.cpp ");
        });
    }
}
