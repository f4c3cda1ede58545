package dev.understudy.ha.handshake;

/** This build's software and protocol versions. */
public final class Versions {

    /** Software version, major.minor.patch. */
    public static final String SOFTWARE = "0.1.0";
    /** Protocol major version; peers must match exactly. */
    public static final int PROTOCOL = 1;

    private Versions() {}

    /** Whether a peer running {@code other} may pair with this build: same major, at most one minor apart. */
    public static boolean compatible(String other) {
        int[] a = parse(SOFTWARE);
        int[] b = parse(other);
        return a != null && b != null && a[0] == b[0] && Math.abs(a[1] - b[1]) <= 1;
    }

    private static int[] parse(String v) {
        if (v == null) {
            return null;
        }
        String[] p = v.split("[.-]");
        try {
            return new int[] {Integer.parseInt(p[0]), p.length > 1 ? Integer.parseInt(p[1]) : 0};
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
