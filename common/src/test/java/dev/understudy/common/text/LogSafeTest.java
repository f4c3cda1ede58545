package dev.understudy.common.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogSafeTest {

    @Test
    void nothingThatCouldForgeALogLineOrDriveATerminalSurvives() {
        String forged = "peer\r\n2026-12-02T00:00:00Z WARN ROLE CHANGE master -> shadow\u001b[31m\u0085\u2028\u202e\u200b\u0000\u007f";
        String e = LogSafe.escape(forged, 1000);
        assertThat(e).doesNotContain("\n", "\r", "\u001b", "\u0085", "\u2028", "\u202e", "\u200b", "\u0000", "\u007f");
        assertThat(e).isEqualTo("peer\\r\\n2026-12-02T00:00:00Z WARN ROLE CHANGE master -> shadow\\u001b[31m\\u0085"
                + "\\u2028\\u202e\\u200b\\u0000\\u007f");
        assertThat(e.lines()).hasSize(1);
    }

    @Test
    void ordinaryTextIsKeptAndTheEscapeIsUnambiguous() {
        assertThat(LogSafe.escape("shadow-2 at 10.0.0.5:8444 — Zürich ✓")).isEqualTo("shadow-2 at 10.0.0.5:8444 — Zürich ✓");
        assertThat(LogSafe.escape("a\\nb")).as("a literal backslash-n is not a newline").isEqualTo("a\\\\nb");
        assertThat(LogSafe.escape("\ud83d\ude00")).isEqualTo("\ud83d\ude00");
        assertThat(LogSafe.escape("\ud83d")).as("a lone surrogate").isEqualTo("\\ud83d");
        assertThat(LogSafe.escape(null)).isEqualTo("null");
    }

    @Test
    void longTextIsBounded() {
        String e = LogSafe.escape("x".repeat(10_000), 50);
        assertThat(e).startsWith("x".repeat(50)).endsWith("...(9950 more characters)").hasSize(50 + 25);
    }

    @Test
    void printableMeansEscapeWouldNotChangeIt() {
        assertThat(LogSafe.isPrintable("node-1.example")).isTrue();
        assertThat(LogSafe.isPrintable("a\nb")).isFalse();
        assertThat(LogSafe.isPrintable("a\u001bb")).isFalse();
        assertThat(LogSafe.isPrintable("a\u202eb")).isFalse();
    }
}
