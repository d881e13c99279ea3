package dev.llmgateway.metering;

import java.util.EnumSet;
import java.util.Set;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** QuickTheories generators the property tests share (the shapes QuickTheories does not ship). */
public final class Gens {
    private Gens() {
    }

    /** Strings of {@code min..max} characters drawn from {@code alphabet}. */
    public static Gen<String> stringOf(String alphabet, int min, int max) {
        Gen<Integer> length = Generate.range(min, max);
        Gen<Integer> pick = Generate.range(0, alphabet.length() - 1);
        return in -> {
            int n = length.generate(in);
            StringBuilder s = new StringBuilder(n);
            for (int i = 0; i < n; i++) {
                s.append(alphabet.charAt(pick.generate(in)));
            }
            return s.toString();
        };
    }

    /** {@code gen}'s values, or null in about {@code nullPercent} of the cases. */
    public static <T> Gen<T> nullable(Gen<T> gen, int nullPercent) {
        Gen<Integer> percent = Generate.range(0, 99);
        return in -> percent.generate(in) < nullPercent ? null : gen.generate(in);
    }

    /** Any subset of an enum's values, each value in or out with equal chance. */
    public static <E extends Enum<E>> Gen<Set<E>> subsetOf(Class<E> type) {
        Gen<Boolean> in = Generate.booleans();
        return src -> {
            EnumSet<E> s = EnumSet.noneOf(type);
            for (E e : type.getEnumConstants()) {
                if (in.generate(src)) s.add(e);
            }
            return Set.copyOf(s);
        };
    }
}
