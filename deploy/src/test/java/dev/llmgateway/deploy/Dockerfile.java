package dev.llmgateway.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A Dockerfile as a list of stages of instructions: comments dropped, continuation lines joined. */
record Dockerfile(List<Stage> stages) {

    record Instruction(String keyword, String args) {
        /** Whitespace-separated words of the arguments, options (--x=y) first. */
        List<String> words() {
            return List.of(args.trim().split("\\s+"));
        }

        boolean hasOption(String option) {
            return words().stream().anyMatch(w -> w.equals(option) || w.startsWith(option + "="));
        }

        String option(String option) {
            return words().stream().filter(w -> w.startsWith(option + "=")).map(w -> w.substring(option.length() + 1)).findFirst().orElse(null);
        }

        /** Arguments that are not --options (for COPY: sources..., destination). */
        List<String> operands() {
            return words().stream().filter(w -> !w.startsWith("--")).toList();
        }
    }

    record Stage(String image, String name, List<Instruction> instructions) {
        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }
    }

    static Dockerfile parse(Path file) {
        return parse(DeployFiles.read(file));
    }

    static Dockerfile parse(String text) {
        List<String> logical = new ArrayList<>();
        StringBuilder current = null;
        for (String raw : text.split("\n", -1)) {
            String line = raw.strip();
            if (line.startsWith("#")) continue; // comments (also inside continuations) and parser directives
            if (line.isEmpty() && current == null) continue;
            boolean continues = line.endsWith("\\");
            if (continues) line = line.substring(0, line.length() - 1);
            current = current == null ? new StringBuilder(line) : current.append(' ').append(line);
            if (!continues) {
                if (!current.toString().isBlank()) logical.add(current.toString().strip());
                current = null;
            }
        }
        if (current != null && !current.toString().isBlank()) logical.add(current.toString().strip());

        List<Stage> stages = new ArrayList<>();
        List<Instruction> instructions = null;
        for (String l : logical) {
            int space = l.indexOf(' ');
            String keyword = (space < 0 ? l : l.substring(0, space)).toUpperCase(Locale.ROOT);
            String args = space < 0 ? "" : l.substring(space + 1).strip();
            if (keyword.equals("FROM")) {
                List<String> w = new Instruction(keyword, args).operands();
                String name = w.size() >= 3 && w.get(1).equalsIgnoreCase("AS") ? w.get(2) : null;
                instructions = new ArrayList<>();
                stages.add(new Stage(w.get(0), name, instructions));
            } else {
                if (instructions == null) throw new AssertionError("Dockerfile: " + keyword + " before the first FROM");
                instructions.add(new Instruction(keyword, args));
            }
        }
        return new Dockerfile(List.copyOf(stages));
    }

    Stage runtime() {
        return stages.get(stages.size() - 1);
    }
}
