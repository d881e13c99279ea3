package dev.llmgateway.engine;

import dev.llmgateway.engine.internal.StopSequenceFilter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Stop sequences never leak, even split over pieces; text that only looked like a stop start is released. */
class StopSequenceFilterTest {

    @Test
    void stopSplitAcrossPiecesIsCutAndNeverEmitted() {
        List<String> out = new ArrayList<>();
        StopSequenceFilter filter = new StopSequenceFilter(List.of("END"), out::add);
        assertThat(filter.accept("hello E")).isFalse();
        assertThat(filter.accept("N")).isFalse();
        assertThat(filter.accept("D tail")).isTrue();
        assertThat(String.join("", out)).isEqualTo("hello ").isEqualTo(filter.text());
    }

    @Test
    void heldBackPrefixIsReleasedWhenItDoesNotBecomeAStop() {
        List<String> out = new ArrayList<>();
        StopSequenceFilter filter = new StopSequenceFilter(List.of("END"), out::add);
        filter.accept("an E");
        assertThat(String.join("", out)).isEqualTo("an ");
        filter.accept("Nx");
        assertThat(String.join("", out)).isEqualTo("an ENx");
        filter.accept("E");
        filter.flush();
        assertThat(filter.text()).isEqualTo("an ENxE");
        assertThat(filter.stopped()).isFalse();
    }

    @Test
    void earliestOfSeveralStopsWins() {
        StopSequenceFilter filter = new StopSequenceFilter(List.of("yz", "b"), piece -> { });
        assertThat(filter.accept("abcxyz")).isTrue();
        assertThat(filter.text()).isEqualTo("a");
    }

    @Test
    void withoutStopsEveryPieceIsPassedAtOnce() {
        List<String> out = new ArrayList<>();
        StopSequenceFilter filter = new StopSequenceFilter(List.of(), out::add);
        filter.accept("a");
        filter.accept("b");
        assertThat(out).containsExactly("a", "b");
    }
}
