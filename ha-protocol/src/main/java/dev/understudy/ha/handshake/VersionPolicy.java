package dev.understudy.ha.handshake;

import dev.understudy.common.text.LogSafe;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which peer versions a node talks to (DESIGN §4): the HA protocol version must be the same, and
 * the software versions must have the same major and minors at most one apart, so a pair can be
 * upgraded one node at a time. Anything else is refused with a reason naming both versions and
 * the node to upgrade; both sides raise a VERSION_MISMATCH alert and the master answers BYE with
 * {@link #BYE_CODE}.
 */
public final class VersionPolicy {

    /** The BYE code and alert category name for a refused version. */
    public static final String BYE_CODE = "VERSION_MISMATCH";

    private static final Pattern SOFTWARE = Pattern.compile("(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})(-[0-9A-Za-z.-]+)?");

    /** Outcome of a version check; {@code reason} is empty when accepted without remark. */
    public record Decision(boolean accepted, String reason) {

        public Decision {
            Objects.requireNonNull(reason, "reason");
        }

        static Decision accept(String remark) {
            return new Decision(true, remark);
        }

        static Decision refuse(String reason) {
            return new Decision(false, reason);
        }
    }

    private VersionPolicy() {}

    /** This build ({@link Versions}) against a peer's announced versions, as read from its HELLO. */
    public static Decision check(String peerSoftware, int peerProtocol) {
        return check(Versions.SOFTWARE, Versions.PROTOCOL, peerSoftware, peerProtocol);
    }

    /** Whether a node at (localSoftware, localProtocol) may talk to a peer at (peerSoftware, peerProtocol). */
    public static Decision check(String localSoftware, int localProtocol, String peerSoftware, int peerProtocol) {
        int[] local = parse(localSoftware);
        if (local == null) {
            throw new IllegalArgumentException("localSoftware: " + localSoftware + " (expected: major.minor.patch)");
        }
        int[] peer = parse(peerSoftware);
        String both = "this node runs " + localSoftware + " (HA protocol " + localProtocol + "), the peer "
                + (peer != null ? peerSoftware : printable(peerSoftware)) + " (HA protocol " + peerProtocol + ")";
        if (peer == null) {
            return Decision.refuse("peer softwareVersion: " + printable(peerSoftware)
                    + " (expected: major.minor.patch); " + both + "; the peer is not a compatible Understudy release");
        }
        String older = older(local, peer);
        if (peerProtocol != localProtocol) {
            return Decision.refuse("HA protocol versions differ: " + both + " (expected: the same protocol); upgrade "
                    + older + " so both nodes run the same release");
        }
        if (peer[0] != local[0]) {
            return Decision.refuse("software major versions differ: " + both + " (expected: same major, minor at most "
                    + "one apart); upgrade " + older + " to the other node's release");
        }
        int minorGap = Math.abs(peer[1] - local[1]);
        if (minorGap > 1) {
            return Decision.refuse("software versions are " + minorGap + " minor versions apart: " + both
                    + " (expected: at most one apart for a rolling upgrade); upgrade " + older + " first");
        }
        if (minorGap == 1) {
            return Decision.accept("rolling upgrade in progress: " + both + "; upgrade " + older + " to finish it");
        }
        return Decision.accept("");
    }

    /** major, minor, patch; null when {@code v} is not a version. */
    private static int[] parse(String v) {
        if (v == null) {
            return null;
        }
        Matcher m = SOFTWARE.matcher(v);
        if (!m.matches()) {
            return null;
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))};
    }

    private static String older(int[] local, int[] peer) {
        for (int i = 0; i < 3; i++) {
            if (local[i] != peer[i]) {
                return local[i] < peer[i] ? "this node" : "the peer";
            }
        }
        return "the older node";
    }

    /** The peer's string as sent, escaped and bounded: it comes off the wire. */
    private static String printable(String s) {
        return s == null ? "(none)" : "'" + LogSafe.escape(s, 40) + "'";
    }
}
