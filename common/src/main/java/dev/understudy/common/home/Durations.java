package dev.understudy.common.home;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as operators write them: {@code 200ms}, {@code 2s}, {@code 1m}, or ISO-8601 {@code PT2S}. */
public final class Durations {

    private static final Pattern SIMPLE = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)");

    private Durations() {}

    public static Duration parse(String field, String text) {
        if (text == null) {
            throw new IllegalArgumentException(field + ": missing (expected: a duration such as 200ms, 2s or PT2S)");
        }
        Matcher m = SIMPLE.matcher(text.trim());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        }
        try {
            return Duration.parse(text.trim());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(field + ": " + text + " (expected: a duration such as 200ms, 2s or PT2S)");
        }
    }

    /** The shortest exact form: 200ms, 2s, 1500ms. */
    public static String format(Duration d) {
        if (d.getNano() % 1_000_000 != 0) {
            return d.toString(); // sub-millisecond: ISO-8601 keeps it exact, and parse() reads it back
        }
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms != 0) {
            return (ms / 60_000) + "m";
        }
        if (ms % 1000 == 0 && ms != 0) {
            return (ms / 1000) + "s";
        }
        return ms + "ms";
    }
}
