package dev.understudy.ha.handshake;

/**
 * What this node last heard from its peer, for `status` and metrics.
 *
 * @param lastHeardNanos ticker value of the last message, or -1 if none
 */
public record PeerView(String nodeId, String address, String state, long epoch, long revision, String hash,
                       long lastHeardNanos) {

    public static final PeerView NONE = new PeerView(null, null, null, 0, 0, null, -1);

    /** Whether a node reporting {@code state} serves (an ACTIVE_* master, or one handing over). */
    public static boolean isActive(String state) {
        return state != null && (state.startsWith("ACTIVE_") || state.equals("DEMOTING"));
    }
}
