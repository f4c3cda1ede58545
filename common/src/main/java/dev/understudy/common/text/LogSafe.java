package dev.understudy.common.text;

/**
 * Escapes a string from outside before it is logged or shown, so that it can never start a new log
 * line, move the cursor, recolour a terminal or hide text: line breaks and tabs become {@code \n},
 * {@code \r}, {@code \t}; every other control character (C0, DEL, C1 such as ESC), line and paragraph
 * separators, invisible format characters (bidirectional overrides, zero-width) and lone surrogates
 * become {@code \}{@code uXXXX}; a backslash becomes two, so the escaped form is unambiguous. Longer
 * input is cut at {@code max} characters with a note of how much was left out.
 */
public final class LogSafe {

    /** The bound for a free-text field such as a BYE reason. */
    public static final int MAX_REASON = 500;
    /** The bound used by {@link #escape(String)}. */
    public static final int DEFAULT_MAX = 200;

    private LogSafe() {}

    /** {@link #escape(String, int)} with {@link #DEFAULT_MAX}. */
    public static String escape(String s) {
        return escape(s, DEFAULT_MAX);
    }

    /** {@code s} escaped as described above and cut at about {@code max} characters; "null" for null. */
    public static String escape(String s, int max) {
        if (s == null) {
            return "null";
        }
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), max) + 8);
        int i = 0;
        while (i < s.length() && b.length() < max) {
            int cp = s.codePointAt(i);
            switch (cp) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (isUnsafe(cp)) {
                        b.append(String.format("\\u%04x", cp));
                    } else {
                        b.appendCodePoint(cp);
                    }
                }
            }
            i += Character.charCount(cp);
        }
        if (i < s.length()) {
            b.append("...(").append(s.length() - i).append(" more characters)");
        }
        return b.toString();
    }

    /** Whether {@code s} holds no character that {@link #escape} would change (backslash aside). */
    public static boolean isPrintable(String s) {
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (cp == '\n' || cp == '\r' || cp == '\t' || isUnsafe(cp)) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }

    private static boolean isUnsafe(int cp) {
        if (Character.isISOControl(cp)) {
            return true;
        }
        int t = Character.getType(cp);
        return t == Character.FORMAT || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR
                || t == Character.SURROGATE || t == Character.UNASSIGNED || t == Character.PRIVATE_USE;
    }
}
