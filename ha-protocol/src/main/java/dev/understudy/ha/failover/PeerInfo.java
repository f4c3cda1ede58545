package dev.understudy.ha.failover;

import dev.understudy.common.home.Role;

/**
 * What a node knows of its peer from the peer's last message.
 *
 * @param active whether the peer says it is serving (an ACTIVE_* or DEMOTING master)
 */
public record PeerInfo(String nodeId, Role role, long epoch, boolean active, long revision) {}
