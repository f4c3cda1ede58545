package dev.understudy.ha.failover;

import dev.understudy.common.home.Role;

/**
 * States of a node in the pair. Shadow side and master side are one enum because a node moves
 * between them (promotion, demotion) and the epoch rules span both.
 * <pre>
 *  shadow:  DETACHED -> CONNECTING -> SYNCING -> STANDBY <-> LAGGING
 *                           ^            |          |           |
 *                           |            +----------+-----------+--> SUSPECT --> PROMOTING --+
 *                           |                                          |  ^                   |
 *                           |                       (heard again) <----+  | (silence,         |
 *                           |                                             |  refused)          v
 *  master:  STARTING --(peer active, higher epoch)--> CONNECTING      ACTIVE_ALONE <-> ACTIVE_PAIRED
 *              |                                          ^                 ^    \         /
 *              +--(peer checked / silent)--> ACTIVE_ALONE |                 |   ACTIVE_DEGRADED
 *                                                         |                 |
 *           any ACTIVE_* --(higher epoch seen)------------+    DEMOTING <---+ (switch-roles)
 *           DEMOTING --(handed over)--> CONNECTING
 * </pre>
 */
public enum HaState {
    /** Shadow with no master configured: waits for `understudy attach`. */
    DETACHED(Role.SHADOW, false),
    /** Shadow (re)connecting to its master's HA port. */
    CONNECTING(Role.SHADOW, false),
    /** Shadow connected and receiving a full or incremental transfer. */
    SYNCING(Role.SHADOW, false),
    /** Shadow in sync with the master, heartbeats flowing: ready to take over. */
    STANDBY(Role.SHADOW, false),
    /** Shadow connected but behind the master's revision. */
    LAGGING(Role.SHADOW, false),
    /** Shadow that lost its master (silence or a lost connection) and is confirming it is gone. */
    SUSPECT(Role.SHADOW, false),
    /** Shadow persisting its new epoch before it starts serving. */
    PROMOTING(Role.SHADOW, false),
    /** Restarted master checking its peer before it serves (for up to takeoverDelay). */
    STARTING(Role.MASTER, false),
    /** Master serving with no shadow connected. */
    ACTIVE_ALONE(Role.MASTER, true),
    /** Master serving with its shadow connected and in sync. */
    ACTIVE_PAIRED(Role.MASTER, true),
    /** Master serving with its shadow connected but behind, or pushes failing. */
    ACTIVE_DEGRADED(Role.MASTER, true),
    /** Master handing over to its shadow: writes stopped, waiting for the shadow's ack. */
    DEMOTING(Role.MASTER, true);

    private final Role role;
    private final boolean serving;

    HaState(Role role, boolean serving) {
        this.role = role;
        this.serving = serving;
    }

    /** The role a node in this state holds. */
    public Role role() {
        return role;
    }

    /** Whether a node in this state has a live HA session with its peer (what it says of the peer is current). */
    public boolean peerConnected() {
        return this == SYNCING || this == STANDBY || this == LAGGING || this == ACTIVE_PAIRED || this == ACTIVE_DEGRADED
                || this == DEMOTING;
    }

    /** Whether a node in this state serves the data plane (and, except DEMOTING, accepts writes). */
    public boolean serving() {
        return serving;
    }
}
