package dev.understudy.dist.admin;

/**
 * What this node knows of its peer, as shown by {@code status}. Fields are null when unknown
 * (no HA channel yet, or never heard from the peer).
 *
 * @param nodeId                 the peer's node id
 * @param address                the peer's HA address (host:port)
 * @param state                  the peer's failover state as last reported
 * @param revision               the peer's last reported revision
 * @param lagRevisions           how many revisions the shadow is behind the master
 * @param lastHeartbeatMillisAgo time since the last frame from the peer
 */
public record PeerView(String nodeId, String address, String state, Long revision, Long lagRevisions,
                       Long lastHeartbeatMillisAgo) {

    /** Only what node.json says about the peer: who it is, nothing about how it is. */
    public static PeerView configured(String nodeId, String address) {
        return new PeerView(nodeId, address, null, null, null, null);
    }
}
