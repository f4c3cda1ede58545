package dev.understudy.ha.failover;

/**
 * Everything the failover machine remembers, immutable. Deadlines are absolute ticker
 * nanoseconds computed when a state is entered; {@link Long#MAX_VALUE} means none.
 *
 * @param state         current state
 * @param epoch         highest epoch this node has seen or created; never decreases
 * @param nodeId        this node's id (tie-break of equal epochs)
 * @param paired        whether a peer is configured
 * @param connected     whether a connection with the peer is established
 * @param inSync        shadow: its config equals the master's latest; master: the shadow is in sync
 * @param lastHeard     when the peer was last heard from
 * @param takeoverAt    when silence turns into promotion (shadow), or the peer check ends (STARTING)
 * @param retryAt       when the next connection attempt or peer check is due
 * @param refusals      consecutive refused reconnects since the master was lost
 * @param pendingEpoch  the epoch being persisted (PROMOTING) or handed over (DEMOTING)
 * @param forced        DEMOTING: hand over even without the shadow's ack
 * @param reason        why the current state was entered, for logs and events
 * @param lastRun       when the node's loop last ran ({@link FailoverEvent.LoopRan}); {@link Long#MAX_VALUE} before
 * @param held          serving is suspended after a stall of this node until the peer has been checked
 */
public record FailoverState(
        HaState state, long epoch, String nodeId, boolean paired, boolean connected, boolean inSync,
        long lastHeard, long takeoverAt, long retryAt, int refusals, long pendingEpoch, boolean forced, String reason,
        long lastRun, boolean held) {

    static final long NEVER = Long.MAX_VALUE;

    /** A state whose loop has not run yet and holds nothing. */
    public FailoverState(HaState state, long epoch, String nodeId, boolean paired, boolean connected, boolean inSync,
                         long lastHeard, long takeoverAt, long retryAt, int refusals, long pendingEpoch, boolean forced,
                         String reason) {
        this(state, epoch, nodeId, paired, connected, inSync, lastHeard, takeoverAt, retryAt, refusals, pendingEpoch,
                forced, reason, NEVER, false);
    }

    FailoverState with(HaState s, String why) {
        return new FailoverState(s, epoch, nodeId, paired, connected, inSync, lastHeard, takeoverAt, retryAt, refusals,
                pendingEpoch, forced, why, lastRun, held);
    }

    FailoverState epoch(long e) {
        return new FailoverState(state, e, nodeId, paired, connected, inSync, lastHeard, takeoverAt, retryAt, refusals,
                pendingEpoch, forced, reason, lastRun, held);
    }

    FailoverState paired(boolean p) {
        return new FailoverState(state, epoch, nodeId, p, connected, inSync, lastHeard, takeoverAt, retryAt, refusals,
                pendingEpoch, forced, reason, lastRun, held);
    }

    FailoverState connected(boolean c) {
        return new FailoverState(state, epoch, nodeId, paired, c, inSync, lastHeard, takeoverAt, retryAt, refusals,
                pendingEpoch, forced, reason, lastRun, held);
    }

    FailoverState inSync(boolean s) {
        return new FailoverState(state, epoch, nodeId, paired, connected, s, lastHeard, takeoverAt, retryAt, refusals,
                pendingEpoch, forced, reason, lastRun, held);
    }

    FailoverState heard(long now) {
        return new FailoverState(state, epoch, nodeId, paired, connected, inSync, now, takeoverAt, retryAt, 0,
                pendingEpoch, forced, reason, lastRun, held);
    }

    FailoverState takeoverAt(long t) {
        return new FailoverState(state, epoch, nodeId, paired, connected, inSync, lastHeard, t, retryAt, refusals,
                pendingEpoch, forced, reason, lastRun, held);
    }

    FailoverState retryAt(long t) {
        return new FailoverState(state, epoch, nodeId, paired, connected, inSync, lastHeard, takeoverAt, t, refusals,
                pendingEpoch, forced, reason, lastRun, held);
    }

    FailoverState refusals(int n) {
        return new FailoverState(state, epoch, nodeId, paired, connected, inSync, lastHeard, takeoverAt, retryAt, n,
                pendingEpoch, forced, reason, lastRun, held);
    }

    FailoverState pending(long e, boolean f) {
        return new FailoverState(state, epoch, nodeId, paired, connected, inSync, lastHeard, takeoverAt, retryAt, refusals,
                e, f, reason, lastRun, held);
    }

    FailoverState ran(long now) {
        return new FailoverState(state, epoch, nodeId, paired, connected, inSync, lastHeard, takeoverAt, retryAt, refusals,
                pendingEpoch, forced, reason, now, held);
    }

    FailoverState held(boolean h) {
        return new FailoverState(state, epoch, nodeId, paired, connected, inSync, lastHeard, takeoverAt, retryAt, refusals,
                pendingEpoch, forced, reason, lastRun, h);
    }

    /** The earliest instant at which a {@link FailoverEvent.Tick} can change anything. */
    public long nextDeadline() {
        return Math.min(takeoverAt, retryAt);
    }

    /** Whether this node serves the data plane now: a serving state, not held after a stall of this node. */
    public boolean serving() {
        return state.serving() && !held;
    }

    /** Whether this node accepts writes now: serving, and not handing over. */
    public boolean acceptsWrites() {
        return serving() && state != HaState.DEMOTING;
    }
}
