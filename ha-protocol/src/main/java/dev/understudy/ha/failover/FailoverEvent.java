package dev.understudy.ha.failover;

import dev.understudy.common.home.Role;

/** Inputs of the failover state machine. Adapters translate I/O and timers into these. */
public sealed interface FailoverEvent {

    /** How a connection attempt or a connection ended. */
    enum Failure {
        /** The peer's host answered with a reset / refused: no process listens there. */
        REFUSED,
        /** No answer within the timeout: the host, the network or the process is unresponsive. */
        TIMEOUT,
        /** The connection closed (orderly or reset) after it had been established. */
        CLOSED,
        /** Anything else: TLS failure, protocol error. */
        ERROR
    }

    /** Time has passed; the machine checks its deadlines. */
    record Tick() implements FailoverEvent {}

    /** A shadow was paired with a master (`understudy attach`). */
    record Attached() implements FailoverEvent {}

    /** The operator detached this node from its peer. */
    record Detached() implements FailoverEvent {}

    /** A connection attempt to the peer failed. */
    record ConnectFailed(Failure failure) implements FailoverEvent {}

    /** A connection with the peer completed its handshake (TLS and HELLO). */
    record Connected(PeerInfo peer) implements FailoverEvent {}

    /** The connection with the peer was lost. */
    record ConnectionLost(Failure failure) implements FailoverEvent {}

    /** A heartbeat or any other message from the peer: proof that it is alive. */
    record PeerHeard(PeerInfo peer) implements FailoverEvent {}

    /** Shadow: whether its config equals the master's latest. Master: whether the shadow is in sync. */
    record SyncProgress(boolean inSync) implements FailoverEvent {}

    /** Master: a push to the shadow failed or was not acknowledged in time. */
    record PushFailed(String reason) implements FailoverEvent {}

    /** Result of a check of the peer over a fresh connection: null when it could not be reached. */
    record PeerChecked(PeerInfo peer, Failure failure) implements FailoverEvent {}

    /** The adapter made {@link FailoverAction.PersistState} durable. */
    record Persisted(long epoch, Role role) implements FailoverEvent {}

    /** Planned switch: the master handed over and tells this shadow to serve in {@code epoch}. */
    record PromoteReceived(long epoch) implements FailoverEvent {}

    /** Operator on a shadow: `switch-roles --force`, promote now. */
    record ForcePromote() implements FailoverEvent {}

    /** Operator on a master: `switch-roles` (planned handover), {@code force} when the shadow is behind. */
    record SwitchRolesRequested(boolean force) implements FailoverEvent {}

    /** Master in DEMOTING: the shadow acknowledged everything up to {@code revision}. */
    record HandoverAcked(long revision) implements FailoverEvent {}

    /**
     * This node itself did not run for {@code gapNanos} (paused, swapped out, a long GC): whatever
     * silence it measured over that gap is its own, not the peer's.
     */
    record Stalled(long gapNanos) implements FailoverEvent {}

    /**
     * The node's loop runs now: fed before every other event, so the machine can tell from {@code now} and the
     * last run how long this node did not run ({@link StallHold}).
     */
    record LoopRan() implements FailoverEvent {}

    /** A peer serving in {@code epoch} told this node to step down. */
    record DemoteReceived(long epoch, String from) implements FailoverEvent {}
}
