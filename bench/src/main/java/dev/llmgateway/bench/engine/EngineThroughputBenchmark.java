package dev.llmgateway.bench.engine;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import dev.llmgateway.engine.GenerationRequest;
import dev.llmgateway.engine.GenerationResult;
import dev.llmgateway.engine.LocalEngine;
import dev.llmgateway.engine.ModelConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Generated tokens/s at 1, 2 and 4 concurrent streams and time to first token, through {@link LocalEngine}
 * and through the raw de.kherud API (the floor), same GGUF, same llama.cpp settings, greedy decoding.
 * A main-based harness rather than JMH: one measurement is a whole multi-stream generation.
 * <p>
 * Usage: {@code EngineThroughputBenchmark [both|both-reversed|control|raw|engine] [tokensPerStream] [rounds] [model.gguf]};
 * see docs/benchmarks-engine.md for the command line.
 */
public final class EngineThroughputBenchmark {

    static final String PROMPT = "Once upon a time";
    static final int SLOTS = 4;
    static final int CONTEXT_PER_SLOT = 1024;
    static final int THREADS = 2;
    /** Concurrent streams to measure; override with -Dstreams=1,4 */
    static final int[] STREAMS = java.util.Arrays.stream(System.getProperty("streams", "1,2,4").split(","))
            .map(String::trim).mapToInt(Integer::parseInt).toArray();

    /** One round: all streams started together; tokens summed over streams, wall time of the slowest. */
    record Round(int tokens, double seconds, double ttftMsMean) {
        double tokensPerSecond() { return tokens / seconds; }
    }

    interface Side extends AutoCloseable {
        String name();
        /** Generates {@code maxTokens} greedily; returns {tokens, ttftNanos}. */
        long[] stream(int maxTokens) throws Exception;
        @Override void close();
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "both";
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path model = args.length > 3 ? Path.of(args[3]) : defaultModel();
        if (!Files.isRegularFile(model)) {
            System.err.println("model not found: " + model);
            System.exit(2);
        }
        System.out.printf(Locale.ROOT, "model=%s tokens/stream=%d rounds=%d slots=%d ctx/slot=%d threads=%d cpus=%d%n",
                model, tokens, rounds, SLOTS, CONTEXT_PER_SLOT, THREADS, Runtime.getRuntime().availableProcessors());
        List<Side> sides = new ArrayList<>();
        // "both" loads the raw model first, "both-reversed" the engine's first; "control" runs two raw sides
        if (mode.equals("both-reversed")) sides.add(new Engine(model));
        if (!mode.equals("engine")) sides.add(new Raw(model, "raw"));
        if (mode.equals("control")) sides.add(new Raw(model, "raw2"));
        if (mode.equals("both") || mode.equals("engine")) sides.add(new Engine(model));
        ExecutorService pool = Executors.newFixedThreadPool(SLOTS);
        try {
            System.out.println("side     streams  tokens/s(median)  tokens/s(min..max)  ttft_ms(median)");
            for (int streams : STREAMS) {
                List<List<Round>> results = new ArrayList<>();
                for (Side side : sides) {
                    run(pool, side, streams, tokens); // warm-up
                    results.add(new ArrayList<>());
                }
                for (int r = 0; r < rounds; r++) {
                    // alternate which side goes first, so neither always runs right after the other
                    for (int k = 0; k < sides.size(); k++) {
                        int s = (k + r) % sides.size();
                        results.get(s).add(run(pool, sides.get(s), streams, tokens));
                    }
                }
                for (int s = 0; s < sides.size(); s++) {
                    List<Round> rs = results.get(s);
                    double[] tps = rs.stream().mapToDouble(Round::tokensPerSecond).sorted().toArray();
                    double[] ttft = rs.stream().mapToDouble(Round::ttftMsMean).sorted().toArray();
                    System.out.printf(Locale.ROOT, "%-8s %7d  %16.0f  %8.0f..%-8.0f  %15.2f%n", sides.get(s).name(), streams,
                            median(tps), tps[0], tps[tps.length - 1], median(ttft));
                }
            }
        } finally {
            pool.shutdownNow();
            sides.forEach(Side::close);
        }
        // llama.cpp's worker threads are attached to the JVM as non-daemon threads
        System.exit(0);
    }

    static Round run(ExecutorService pool, Side side, int streams, int tokens) throws Exception {
        long start = System.nanoTime();
        List<Future<long[]>> futures = new ArrayList<>();
        for (int i = 0; i < streams; i++) futures.add(pool.submit(() -> side.stream(tokens)));
        int total = 0;
        double ttft = 0;
        for (Future<long[]> f : futures) {
            long[] r = f.get();
            total += (int) r[0];
            ttft += r[1] / 1e6;
        }
        return new Round(total, (System.nanoTime() - start) / 1e9, ttft / streams);
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static Path defaultModel() {
        String env = System.getenv("GATEWAY_TEST_MODEL");
        if (env != null && !env.isBlank()) return Path.of(env);
        // The fixture committed in the repository; the benchmark runs from the project root or from bench/.
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("testdata/models/llama-2-tiny-random.gguf");
            if (java.nio.file.Files.isRegularFile(p)) return p;
        }
        return Path.of("testdata/models/llama-2-tiny-random.gguf");
    }

    /** The floor: de.kherud's iterator, same parameters the engine uses, nothing around it. */
    static final class Raw implements Side {
        private final LlamaModel model;
        private final String name;

        Raw(Path path, String name) {
            this.name = name;
            model = new LlamaModel(new ModelParameters().setModel(path.toString())
                    .setCtxSize(CONTEXT_PER_SLOT * SLOTS).setParallel(SLOTS)
                    .setThreads(THREADS).setThreadsBatch(THREADS).disableContextShift().disableLog());
        }

        @Override public String name() { return name; }

        @Override public long[] stream(int maxTokens) {
            InferenceParameters params = new InferenceParameters(PROMPT).setNPredict(maxTokens).setCachePrompt(true)
                    .setTemperature(0f).setTopP(1f).setRepeatPenalty(1f).setPresencePenalty(0f).setFrequencyPenalty(0f);
            long start = System.nanoTime();
            long first = 0;
            int n = 0;
            LlamaIterator it = model.generate(params).iterator();
            while (it.hasNext()) {
                it.next();
                if (!it.hasNext()) break; // the final, empty result
                if (n++ == 0) first = System.nanoTime() - start;
            }
            return new long[] {n, first};
        }

        @Override public void close() { model.close(); }
    }

    /** Our engine: admission, slots, template-free completion, stop filter, counting. */
    static final class Engine implements Side {
        private final LocalEngine engine;

        Engine(Path path) {
            engine = LocalEngine.start(List.of(new ModelConfig("bench", path, CONTEXT_PER_SLOT, THREADS, SLOTS, 8, 0,
                    Duration.ZERO, true, Optional.empty())));
        }

        @Override public String name() { return "engine"; }

        @Override public long[] stream(int maxTokens) {
            long start = System.nanoTime();
            long[] first = {0};
            GenerationResult r = engine.complete("bench", PROMPT, GenerationRequest.greedy(List.of(), maxTokens), piece -> {
                if (first[0] == 0) first[0] = System.nanoTime() - start;
            }, null);
            return new long[] {r.completionTokens(), first[0]};
        }

        @Override public void close() { engine.close(); }
    }
}
