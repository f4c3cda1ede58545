package dev.understudy.common.home;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void parsesOperatorForms() {
        assertThat(Durations.parse("f", "200ms")).isEqualTo(Duration.ofMillis(200));
        assertThat(Durations.parse("f", "2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(Durations.parse("f", " 2 s ")).isEqualTo(Duration.ofSeconds(2));
        assertThat(Durations.parse("f", "1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Durations.parse("f", "3h")).isEqualTo(Duration.ofHours(3));
        assertThat(Durations.parse("f", "PT2S")).isEqualTo(Duration.ofSeconds(2));
        assertThat(Durations.parse("f", "PT0.25S")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("f", "0ms")).isZero();
    }

    @Test
    void rejectsWithTheFieldName() {
        for (String bad : new String[] {"", "2", "2 sec", "1.5s", "-1s", "2S", "ms", "1000000000ms", "P1Y"}) {
            assertThatThrownBy(() -> Durations.parse("takeoverDelay", bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("takeoverDelay: " + bad + " (expected: a duration such as 200ms, 2s or PT2S)");
        }
        assertThatThrownBy(() -> Durations.parse("takeoverDelay", null))
                .hasMessage("takeoverDelay: missing (expected: a duration such as 200ms, 2s or PT2S)");
    }

    @Test
    void formatIsShortestExactAndParsesBack() {
        assertThat(Durations.format(Duration.ofMillis(200))).isEqualTo("200ms");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Durations.format(Duration.ofSeconds(2))).isEqualTo("2s");
        assertThat(Durations.format(Duration.ofMinutes(2))).isEqualTo("2m");
        assertThat(Durations.format(Duration.ofHours(1))).isEqualTo("60m");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0ms");
        for (Duration d : new Duration[] {Duration.ofMillis(1), Duration.ofMillis(1500), Duration.ofSeconds(59), Duration.ofMinutes(90),
                Duration.ofNanos(1), Duration.ofNanos(500_000), Duration.ofSeconds(1, 1), Duration.ofHours(1000)}) {
            assertThat(Durations.parse("f", Durations.format(d))).as(d.toString()).isEqualTo(d);
        }
    }
}
