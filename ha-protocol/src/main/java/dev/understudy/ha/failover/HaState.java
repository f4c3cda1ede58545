package dev.understudy.ha.failover;

import dev.understudy.common.home.Role;

/**
 * States of a node in the pair. Shadow side and master side are one enum because a node moves
 * between them (promotion, demotion) and the epoch rules span both.
 *
 * <p>The transitions below are {@link FailoverMachine#LEGAL}, the one table the machine enforces; this
 * picture is rendered from it and {@code HaStateDiagramTest} fails when the two differ (it prints the
 * block to paste). Reading guide: a shadow reaches the master side only through PROMOTING (epoch
 * persisted first), a master reaches the shadow side only through CONNECTING (stepped down or handed
 * over); a master serving alone becomes ACTIVE_PAIRED only through ACTIVE_DEGRADED, because a shadow
 * that connects is behind until it reports it is in sync.
 * <pre>
 * shadow side:
 *   DETACHED        -> CONNECTING, PROMOTING
 *   CONNECTING      -> DETACHED, SYNCING, PROMOTING
 *   SYNCING         -> DETACHED, STANDBY, SUSPECT, PROMOTING
 *   STANDBY         -> DETACHED, LAGGING, SUSPECT, PROMOTING
 *   LAGGING         -> DETACHED, STANDBY, SUSPECT, PROMOTING
 *   SUSPECT         -> DETACHED, SYNCING, STANDBY, LAGGING, PROMOTING
 *   PROMOTING       -> CONNECTING, ACTIVE_ALONE
 * master side:
 *   STARTING        -> CONNECTING, ACTIVE_ALONE, ACTIVE_DEGRADED
 *   ACTIVE_ALONE    -> CONNECTING, ACTIVE_DEGRADED
 *   ACTIVE_PAIRED   -> CONNECTING, ACTIVE_ALONE, ACTIVE_DEGRADED, DEMOTING
 *   ACTIVE_DEGRADED -> CONNECTING, ACTIVE_ALONE, ACTIVE_PAIRED, DEMOTING
 *   DEMOTING        -> CONNECTING, ACTIVE_ALONE, ACTIVE_PAIRED, ACTIVE_DEGRADED
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

    /** Whether a node in this state serves the data plane (and, except DEMOTING, accepts writes). */
    public boolean serving() {
        return serving;
    }
}
