package dev.llmgateway.routing.internal;

import dev.llmgateway.routing.PromptFeatures;
import java.util.List;

/**
 * One pass over the prompt text, constant work per character, no regular expressions and no allocation per
 * word. Words are matched against small keyword lists by an exact base-31 hash of the lower-cased ASCII
 * word (exact, i.e. collision-free, for words of up to 12 letters: the letter range is narrower than the base).
 */
public final class PromptScanner {
    private static final byte CODE = 1;
    private static final byte MATH = 2;
    private static final byte REASONING = 3;
    private static final int MAX_KEYWORD = 12;

    private static final int TABLE_SIZE = 256;
    private static final long[] TABLE_KEYS;
    private static final byte[] TABLE_KINDS;

    static {
        String[][] lists = {
            {"def", "class", "function", "return", "import", "public", "static", "void", "const", "struct",
                "impl", "lambda", "async", "await", "namespace", "include", "println", "printf", "nullptr",
                "null", "elif", "sql", "regex", "compile", "compiler", "debug", "stacktrace", "exception",
                "python", "java", "javascript", "typescript", "rust", "golang", "kotlin", "haskell", "bash",
                "json", "yaml", "api", "refactor", "bug", "segfault", "traceback", "unittest", "kubernetes",
                "dockerfile", "algorithm", "recursion", "boolean", "string", "array", "int", "enum"},
            {"equation", "equations", "integral", "derivative", "theorem", "lemma", "matrix", "matrices",
                "probability", "polynomial", "eigenvalue", "eigenvalues", "sqrt", "frac", "calculus", "algebra",
                "geometry", "logarithm", "solve", "variance", "integer", "prime", "modulo", "limit", "vector",
                "statistics", "inequality"},
            {"prove", "proof", "derive", "why", "explain", "reasoning", "reason", "analyze", "analyse", "justify",
                "compare", "evaluate", "tradeoffs", "tradeoff", "critique", "step", "think", "rigorous",
                "rigorously", "implications", "hypothesis", "design", "architect", "optimize", "strategy",
                "assess", "plan"},
        };
        int total = 0;
        for (String[] l : lists) {
            total += l.length;
        }
        long[][] pairs = new long[total][];
        int k = 0;
        for (int kind = 0; kind < lists.length; kind++) {
            for (String w : lists[kind]) {
                if (w.length() > MAX_KEYWORD) {
                    throw new IllegalStateException("keyword too long: " + w);
                }
                pairs[k++] = new long[] {wordHash(w), kind + 1};
            }
        }
        // Open addressing, linear probing, load below one half: a miss usually costs one probe.
        TABLE_KEYS = new long[TABLE_SIZE];
        TABLE_KINDS = new byte[TABLE_SIZE];
        for (long[] pair : pairs) {
            int slot = slot(pair[0]);
            while (TABLE_KINDS[slot] != 0) {
                if (TABLE_KEYS[slot] == pair[0]) {
                    throw new IllegalStateException("duplicate keyword");
                }
                slot = (slot + 1) & (TABLE_SIZE - 1);
            }
            TABLE_KEYS[slot] = pair[0];
            TABLE_KINDS[slot] = (byte) pair[1];
        }
        if (total * 2 > TABLE_SIZE) {
            throw new IllegalStateException("keyword table too full");
        }
    }

    private PromptScanner() {
    }

    private static long wordHash(String w) {
        long h = 0;
        for (int i = 0; i < w.length(); i++) {
            h = h * 31 + (w.charAt(i) | 0x20);
        }
        return h;
    }

    private static int slot(long hash) {
        return (int) ((hash * 0x9E3779B97F4A7C15L) >>> 56);
    }

    private static byte kindOf(long hash) {
        int slot = slot(hash);
        byte kind;
        while ((kind = TABLE_KINDS[slot]) != 0) {
            if (TABLE_KEYS[slot] == hash) {
                return kind;
            }
            slot = (slot + 1) & (TABLE_SIZE - 1);
        }
        return 0;
    }

    public static PromptFeatures scan(List<String> messageTexts) {
        long chars = 0;
        int code = 0;
        int syntax = 0;
        int math = 0;
        int reasoning = 0;
        long asciiLetters = 0;
        long otherLetters = 0;
        for (String text : messageTexts) {
            int n = text.length();
            chars += n;
            long word = 0;
            int wordLength = 0;
            boolean asciiWord = true;
            int backticks = 0;
            boolean lineStart = true;
            int indent = 0;
            boolean afterDigit = false;
            boolean operatorAfterDigit = false;
            for (int i = 0; i <= n; i++) {
                char c = i < n ? text.charAt(i) : '\n';
                int lower = c | 0x20;
                if (c < 128 && lower >= 'a' && lower <= 'z') {
                    asciiLetters++;
                    word = word * 31 + lower;
                    wordLength++;
                    afterDigit = false;
                    operatorAfterDigit = false;
                    lineStart = false;
                    backticks = 0;
                    continue;
                }
                if (c >= 128 && Character.isLetter(c)) {
                    otherLetters++;
                    wordLength++;
                    asciiWord = false;
                    lineStart = false;
                    backticks = 0;
                    continue;
                }
                if (wordLength > 0) {
                    if (asciiWord && wordLength >= 2 && wordLength <= MAX_KEYWORD) {
                        switch (kindOf(word)) {
                            case CODE -> code++;
                            case MATH -> math++;
                            case REASONING -> reasoning++;
                            default -> { }
                        }
                    }
                    word = 0;
                    wordLength = 0;
                    asciiWord = true;
                }
                if (c != '`') {
                    backticks = 0;
                }
                switch (c) {
                    case '\n' -> {
                        lineStart = true;
                        indent = 0;
                        continue;
                    }
                    case ' ', '\t' -> {
                        if (lineStart && indent < 4) {
                            indent += c == '\t' ? 4 : 1;
                            if (indent >= 4) {
                                syntax++;
                            }
                        }
                        continue;
                    }
                    case '`' -> {
                        if (++backticks == 3) {
                            code += 3;
                        }
                    }
                    case '{', '}', ';' -> syntax++;
                    case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> {
                        if (operatorAfterDigit) {
                            math++;
                        }
                        operatorAfterDigit = false;
                        afterDigit = true;
                        lineStart = false;
                        continue;
                    }
                    case '+', '-', '*', '/', '^', '=', '<', '>' -> {
                        operatorAfterDigit = afterDigit;
                        afterDigit = false;
                        lineStart = false;
                        continue;
                    }
                    case '±', '×', '÷', '²', '³', '√', '∑', '∫', '∞', '≤', '≥', '≠', '≈', '∂', '∀', '∃', '∈' -> math++;
                    default -> {
                        if (c >= '\u2200' && c <= '\u22FF') {
                            math++;
                        }
                    }
                }
                afterDigit = false;
                operatorAfterDigit = false;
                lineStart = false;
            }
        }
        long letters = asciiLetters + otherLetters;
        return new PromptFeatures((int) Math.min(Integer.MAX_VALUE, chars), messageTexts.size(),
                code + syntax / 3, math, reasoning, letters == 0 ? 0.0 : (double) otherLetters / letters);
    }
}
