package dev.understudy.ha.failover;

import static dev.understudy.ha.failover.HaState.ACTIVE_ALONE;
import static dev.understudy.ha.failover.HaState.ACTIVE_DEGRADED;
import static dev.understudy.ha.failover.HaState.ACTIVE_PAIRED;
import static dev.understudy.ha.failover.HaState.CONNECTING;
import static dev.understudy.ha.failover.HaState.DEMOTING;
import static dev.understudy.ha.failover.HaState.DETACHED;
import static dev.understudy.ha.failover.HaState.LAGGING;
import static dev.understudy.ha.failover.HaState.PROMOTING;
import static dev.understudy.ha.failover.HaState.STANDBY;
import static dev.understudy.ha.failover.HaState.STARTING;
import static dev.understudy.ha.failover.HaState.SUSPECT;
import static dev.understudy.ha.failover.HaState.SYNCING;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.home.Epochs;
import dev.understudy.common.home.Role;
import dev.understudy.ha.failover.FailoverAction.CheckPeer;
import dev.understudy.ha.failover.FailoverAction.Connect;
import dev.understudy.ha.failover.FailoverAction.Disconnect;
import dev.understudy.ha.failover.FailoverAction.PersistState;
import dev.understudy.ha.failover.FailoverAction.RaiseAlert;
import dev.understudy.ha.failover.FailoverAction.RecordRoleChange;
import dev.understudy.ha.failover.FailoverAction.ResolveAlert;
import dev.understudy.ha.failover.FailoverAction.ResumeWrites;
import dev.understudy.ha.failover.FailoverAction.SendDemote;
import dev.understudy.ha.failover.FailoverAction.StartServing;
import dev.understudy.ha.failover.FailoverAction.StopServing;
import dev.understudy.ha.failover.FailoverEvent.Attached;
import dev.understudy.ha.failover.FailoverEvent.ConnectFailed;
import dev.understudy.ha.failover.FailoverEvent.Connected;
import dev.understudy.ha.failover.FailoverEvent.ConnectionLost;
import dev.understudy.ha.failover.FailoverEvent.DemoteReceived;
import dev.understudy.ha.failover.FailoverEvent.Detached;
import dev.understudy.ha.failover.FailoverEvent.Failure;
import dev.understudy.ha.failover.FailoverEvent.ForcePromote;
import dev.understudy.ha.failover.FailoverEvent.HandoverAcked;
import dev.understudy.ha.failover.FailoverEvent.PeerChecked;
import dev.understudy.ha.failover.FailoverEvent.PeerHeard;
import dev.understudy.ha.failover.FailoverEvent.Persisted;
import dev.understudy.ha.failover.FailoverEvent.PromoteReceived;
import dev.understudy.ha.failover.FailoverEvent.PushFailed;
import dev.understudy.ha.failover.FailoverEvent.SwitchRolesRequested;
import dev.understudy.ha.failover.FailoverEvent.SyncProgress;
import dev.understudy.ha.failover.FailoverEvent.Tick;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The failover state machine: {@code (state, event, now) -> (state', actions)}. Pure: no I/O,
 * no threads, no clock reads; {@code now} is a monotonic ticker value in nanoseconds.
 *
 * <p>Legal transitions are {@link #LEGAL}, the one table (the diagram in {@link HaState} is checked against it
 * by a test); anything else is a bug and throws {@code ILLEGAL TRANSITION: A -> B}.
 * Epoch rules: every promotion takes {@code epoch + 1} and persists it before serving; a serving
 * node that hears of a peer serving in a higher epoch stops serving at once and becomes its shadow;
 * a serving node that hears of a peer serving in a lower epoch tells it to step down. The epoch of
 * a node never decreases.
 */
public final class FailoverMachine {

    /** takeoverDelays a node that just stepped down or handed over waits before it may promote again. */
    static final int STEPPED_DOWN_GRACE = 3;

    /**
     * Refused reconnects that prove the master's process is gone. One is enough: it only counts after the
     * connection was lost (closed or reset) and while nothing was heard since, and a refusal is the master
     * host's kernel answering that no socket listens on the HA port any more. A serving master never closes
     * its HA listener (it closes it only when it stops being master, and a restarting one serves nothing
     * until it has checked its peer), so a second attempt adds latency, not proof. What a refusal cannot
     * tell apart (a firewall rejecting with a reset) no number of refusals would either; silence is still
     * judged by takeoverDelay.
     */
    static final int CRASH_CONFIRMATIONS = 1;

    /** The legal state changes; staying in the same state is always legal. */
    public static final Map<HaState, Set<HaState>> LEGAL = legal();

    private FailoverMachine() {}

    /** The result of one step. */
    public record Transition(FailoverState next, List<FailoverAction> actions) {}

    private static Map<HaState, Set<HaState>> legal() {
        Map<HaState, Set<HaState>> m = new EnumMap<>(HaState.class);
        m.put(DETACHED, EnumSet.of(CONNECTING, PROMOTING));
        m.put(CONNECTING, EnumSet.of(SYNCING, PROMOTING, DETACHED));
        // SYNCING stays SYNCING until in sync: it becomes LAGGING only from STANDBY (or SUSPECT)
        m.put(SYNCING, EnumSet.of(STANDBY, SUSPECT, PROMOTING, DETACHED));
        m.put(STANDBY, EnumSet.of(LAGGING, SUSPECT, PROMOTING, DETACHED));
        m.put(LAGGING, EnumSet.of(STANDBY, SUSPECT, PROMOTING, DETACHED));
        m.put(SUSPECT, EnumSet.of(SYNCING, STANDBY, LAGGING, PROMOTING, DETACHED));
        m.put(PROMOTING, EnumSet.of(ACTIVE_ALONE, CONNECTING));
        m.put(STARTING, EnumSet.of(ACTIVE_ALONE, ACTIVE_DEGRADED, CONNECTING));
        m.put(ACTIVE_ALONE, EnumSet.of(ACTIVE_DEGRADED, CONNECTING));
        m.put(ACTIVE_PAIRED, EnumSet.of(ACTIVE_ALONE, ACTIVE_DEGRADED, DEMOTING, CONNECTING));
        m.put(ACTIVE_DEGRADED, EnumSet.of(ACTIVE_ALONE, ACTIVE_PAIRED, DEMOTING, CONNECTING));
        m.put(DEMOTING, EnumSet.of(ACTIVE_ALONE, ACTIVE_PAIRED, ACTIVE_DEGRADED, CONNECTING));
        return m;
    }

    /**
     * The state a node starts in, from what it persisted: a master that has a peer checks it
     * before serving; a master without one serves at once; a paired shadow connects, and
     * promotes if its master stays silent for takeoverDelay.
     */
    public static Transition initial(String nodeId, Role role, long epoch, boolean paired, FailoverTimings t, long now) {
        List<FailoverAction> out = new ArrayList<>();
        FailoverState s;
        if (role == Role.MASTER) {
            if (paired) {
                s = new FailoverState(STARTING, epoch, nodeId, true, false, false, now, now + t.takeover(),
                        FailoverState.NEVER, 0, 0, false, "restarted master checks its peer before serving");
                out.add(new CheckPeer());
            } else {
                s = new FailoverState(ACTIVE_ALONE, epoch, nodeId, false, false, false, now, FailoverState.NEVER,
                        FailoverState.NEVER, 0, 0, false, "master without a shadow");
                out.add(new StartServing(epoch));
            }
        } else if (paired) {
            s = new FailoverState(CONNECTING, epoch, nodeId, true, false, false, now, now + t.takeover(), FailoverState.NEVER,
                    0, 0, false, "shadow connecting to its master");
            out.add(new Connect());
        } else {
            s = new FailoverState(DETACHED, epoch, nodeId, false, false, false, now, FailoverState.NEVER,
                    FailoverState.NEVER, 0, 0, false, "shadow not attached to a master");
        }
        return new Transition(s.ran(now), out);
    }

    /** One step. */
    public static Transition step(FailoverState s, FailoverEvent e, FailoverTimings t, long now) {
        List<FailoverAction> out = new ArrayList<>();
        FailoverState next = StallHold.afterStep(s, checked(s, dispatch(s, e, t, now, out), e), e, out);
        return new Transition(next, List.copyOf(out));
    }

    /** The guard every step passes: a change of state must be in {@link #LEGAL}, and the epoch never goes back. */
    static FailoverState checked(FailoverState s, FailoverState next, FailoverEvent e) {
        if (next.state() != s.state() && !LEGAL.get(s.state()).contains(next.state())) {
            throw new IllegalStateException("ILLEGAL TRANSITION: " + s.state() + " -> " + next.state() + " on " + e);
        }
        if (next.epoch() < s.epoch()) {
            throw new IllegalStateException("epoch went backwards: " + s.epoch() + " -> " + next.epoch() + " on " + e);
        }
        return next;
    }

    /** The epoch a peer claims in {@code e}; empty when the event carries none. */
    private static OptionalLong claimedEpoch(FailoverEvent e) {
        if (e instanceof Connected x) {
            return OptionalLong.of(x.peer().epoch());
        } else if (e instanceof PeerHeard x) {
            return OptionalLong.of(x.peer().epoch());
        } else if (e instanceof PeerChecked x && x.peer() != null) {
            return OptionalLong.of(x.peer().epoch());
        } else if (e instanceof PromoteReceived x) {
            return OptionalLong.of(x.epoch());
        } else if (e instanceof DemoteReceived x) {
            return OptionalLong.of(x.epoch());
        }
        return OptionalLong.empty();
    }

    private static FailoverState dispatch(FailoverState s, FailoverEvent e, FailoverTimings t, long now,
                                          List<FailoverAction> out) {
        OptionalLong claim = claimedEpoch(e);
        if (claim.isPresent() && !Epochs.plausible(Math.max(s.epoch(), s.pendingEpoch()), claim.getAsLong())) {
            // nothing a peer says may move the epoch out of range or leap it ahead: the claim is ignored whole
            // (no step-down, no adoption), the connection is dropped and the operator told
            long claimed = claim.getAsLong();
            out.add(new Disconnect("peer claims epoch " + claimed + ", implausible next to this node's " + s.epoch()));
            out.add(new RaiseAlert(Severity.ERROR, AlertCategory.PAIRING_REJECTED, "epoch",
                    "The peer claimed epoch " + claimed + " while this node is in epoch " + s.epoch() + " (expected: at"
                            + " most " + Epochs.MAX_STEP + " higher); the claim was ignored and the connection closed."
                            + " Check the peer's state.json, and that the pinned peer certificate is still the peer's own."));
            return s;
        }
        if (e instanceof Tick) {
            return FailoverDeadlines.tick(s, t, now, out);
        } else if (e instanceof Attached) {
            return attached(s, t, now, out);
        } else if (e instanceof Detached) {
            return detached(s, out);
        } else if (e instanceof ConnectFailed x) {
            return connectFailed(s, x.failure(), t, now, out);
        } else if (e instanceof Connected x) {
            FailoverState r = epochRules(s, x.peer(), t, now, out);
            return isFinal(s, r) ? r : connected(r, x.peer(), t, now, out);
        } else if (e instanceof ConnectionLost x) {
            return connectionLost(s, x.failure(), t, now, out);
        } else if (e instanceof PeerHeard x) {
            FailoverState r = epochRules(s, x.peer(), t, now, out);
            return isFinal(s, r) ? r : peerHeard(r, x.peer(), t, now, out);
        } else if (e instanceof SyncProgress x) {
            return syncProgress(s, x.inSync(), out);
        } else if (e instanceof PushFailed x) {
            return s.state() == ACTIVE_PAIRED ? s.inSync(false).with(ACTIVE_DEGRADED, x.reason()) : s;
        } else if (e instanceof PeerChecked x) {
            FailoverState r = x.peer() == null ? s : epochRules(s, x.peer(), t, now, out);
            return isFinal(s, r) ? r : peerChecked(r, x.peer(), t, now, out);
        } else if (e instanceof Persisted x) {
            return persisted(s, x, t, now, out);
        } else if (e instanceof PromoteReceived x) {
            return promoteReceived(s, x.epoch(), out);
        } else if (e instanceof ForcePromote) {
            return forcePromote(s, out);
        } else if (e instanceof SwitchRolesRequested x) {
            return FailoverHandover.switchRoles(s, x.force(), t, now, out);
        } else if (e instanceof HandoverAcked) {
            return s.state() == DEMOTING ? FailoverHandover.handOver(s, t, now, out) : s;
        } else if (e instanceof DemoteReceived x) {
            return demoteReceived(s, x, t, now, out);
        } else if (e instanceof FailoverEvent.Stalled x) {
            return StallHold.stalled(s, x.gapNanos(), t, now);
        } else if (e instanceof FailoverEvent.LoopRan) {
            long gap = StallHold.gap(s, now);
            FailoverState n = StallHold.hold(s, gap, t, out).ran(now);
            // silence measured across this node's own stall is not the peer's: the machine discounts it
            return StallHold.isStall(gap, t) ? dispatch(n, new FailoverEvent.Stalled(gap), t, now, out) : n;
        }
        throw new IllegalArgumentException("unknown event " + e);
    }

    // ------------------------------------------------------------------ shadow side

    private static boolean shadowConnectedState(HaState st) {
        return st == SYNCING || st == STANDBY || st == LAGGING;
    }

    private static boolean shadowState(HaState st) {
        return st == CONNECTING || shadowConnectedState(st) || st == SUSPECT;
    }

    private static FailoverState attached(FailoverState s, FailoverTimings t, long now, List<FailoverAction> out) {
        if (s.state() == DETACHED) {
            out.add(new Connect());
            // freshly attached: nothing to serve yet, so no takeover until it has been in sync once
            return s.paired(true).takeoverAt(FailoverState.NEVER).retryAt(FailoverState.NEVER)
                    .with(CONNECTING, "attached to a master");
        }
        return s.paired(true);
    }

    private static FailoverState detached(FailoverState s, List<FailoverAction> out) {
        if (s.state().role() == Role.SHADOW && s.state() != PROMOTING) {
            if (s.state() != DETACHED) {
                out.add(new Disconnect("detached by the operator"));
            }
            return s.paired(false).connected(false).inSync(false).takeoverAt(FailoverState.NEVER)
                    .retryAt(FailoverState.NEVER).with(DETACHED, "detached by the operator");
        }
        if (s.state() == STARTING) {
            out.add(new StartServing(s.epoch()));
            return s.paired(false).takeoverAt(FailoverState.NEVER).retryAt(FailoverState.NEVER)
                    .with(ACTIVE_ALONE, "detached by the operator");
        }
        if (s.state().serving()) {
            if (s.state() == DEMOTING) {
                out.add(new ResumeWrites());
            }
            // no shadow is expected any more: "it reconnects by itself" and failed pushes to it are no longer true
            out.add(new ResolveAlert(AlertCategory.PEER_UNREACHABLE));
            out.add(new ResolveAlert(AlertCategory.PUSH_FAILED));
            out.add(new Disconnect("detached by the operator"));
            return s.paired(false).connected(false).inSync(false).takeoverAt(FailoverState.NEVER)
                    .retryAt(FailoverState.NEVER).with(ACTIVE_ALONE, "detached by the operator");
        }
        return s;
    }

    private static FailoverState connectFailed(FailoverState s, Failure f, FailoverTimings t, long now,
                                               List<FailoverAction> out) {
        if (s.state() == CONNECTING) {
            return s.retryAt(now + t.heartbeat());
        }
        if (s.state() == SUSPECT && !s.connected()) {
            if (f == Failure.REFUSED) {
                int n = s.refusals() + 1;
                if (n >= CRASH_CONFIRMATIONS) {
                    return promote(s.refusals(n), Epochs.next(s.epoch()),
                            "master's host refused " + (n == 1 ? "the reconnect" : n + " reconnects") + ": its process is gone", false, out);
                }
                return s.refusals(n).retryAt(now + t.confirm());
            }
            return s.refusals(0).retryAt(now + t.heartbeat());
        }
        return s;
    }

    private static FailoverState connected(FailoverState s, PeerInfo peer, FailoverTimings t, long now,
                                           List<FailoverAction> out) {
        if (s.state() == CONNECTING || s.state() == SUSPECT) {
            // takeover is armed once connected: from now on silence means the master is gone
            return s.connected(true).heard(now).retryAt(FailoverState.NEVER).takeoverAt(now + t.takeover())
                    .with(SYNCING, "connected to master " + peer.nodeId());
        }
        if (s.state() == STARTING) {
            // our shadow came back: we are the master, serve now
            out.add(new StartServing(s.epoch()));
            out.add(new ResolveAlert(AlertCategory.PEER_UNREACHABLE));
            return s.connected(true).inSync(false).heard(now).takeoverAt(FailoverState.NEVER)
                    .retryAt(FailoverState.NEVER).with(ACTIVE_DEGRADED, "shadow " + peer.nodeId() + " connected");
        }
        if (s.state() == ACTIVE_ALONE) {
            out.add(new ResolveAlert(AlertCategory.PEER_UNREACHABLE));
            return s.paired(true).connected(true).inSync(false).heard(now).retryAt(FailoverState.NEVER)
                    .with(ACTIVE_DEGRADED, "shadow " + peer.nodeId() + " connected");
        }
        return s.connected(true).heard(now);
    }

    private static FailoverState connectionLost(FailoverState s, Failure f, FailoverTimings t, long now,
                                                List<FailoverAction> out) {
        if (shadowConnectedState(s.state()) || (s.state() == SUSPECT && s.connected())) {
            // reconnect at once: a refused reconnect is how a crashed master is confirmed quickly
            out.add(new Connect());
            return s.connected(false).refusals(0).retryAt(FailoverState.NEVER)
                    .with(SUSPECT, "connection to master lost (" + f.name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
        if (s.state() == ACTIVE_PAIRED || s.state() == ACTIVE_DEGRADED) {
            out.add(new RaiseAlert(Severity.WARNING, AlertCategory.PEER_UNREACHABLE, "shadow",
                    "The shadow disconnected; this master serves alone and nothing is replicated. Check the shadow"
                            + " node (`understudy status` there) and its network; it reconnects by itself."));
            return s.connected(false).inSync(false).retryAt(now + t.peerCheck())
                    .with(ACTIVE_ALONE, "shadow disconnected");
        }
        if (s.state() == DEMOTING) {
            out.add(new ResumeWrites());
            out.add(new RaiseAlert(Severity.WARNING, AlertCategory.PEER_UNREACHABLE, "shadow",
                    "The shadow disconnected during switch-roles; the switch was aborted and this node stays master."));
            return s.connected(false).inSync(false).pending(0, false).retryAt(now + t.peerCheck())
                    .takeoverAt(FailoverState.NEVER).with(ACTIVE_ALONE, "switch-roles aborted: shadow disconnected");
        }
        return s.connected(false);
    }

    private static FailoverState peerHeard(FailoverState s, PeerInfo peer, FailoverTimings t, long now,
                                           List<FailoverAction> out) {
        FailoverState h = s.heard(now);
        if (shadowConnectedState(s.state()) || s.state() == SUSPECT) {
            h = h.takeoverAt(now + t.takeover());
            if (s.state() == SUSPECT && s.connected()) {
                return h.with(s.inSync() ? STANDBY : LAGGING, "master heard again");
            }
        }
        return h;
    }

    private static FailoverState syncProgress(FailoverState s, boolean inSync, List<FailoverAction> out) {
        FailoverState n = s.inSync(inSync);
        return switch (s.state()) {
            case SYNCING, LAGGING -> inSync ? n.with(STANDBY, "in sync with the master") : n;
            case STANDBY -> inSync ? n : n.with(LAGGING, "behind the master");
            case ACTIVE_PAIRED -> inSync ? n : n.with(ACTIVE_DEGRADED, "shadow behind");
            case ACTIVE_DEGRADED -> inSync && s.connected() ? n.with(ACTIVE_PAIRED, "shadow in sync") : n;
            default -> n;
        };
    }

    private static FailoverState promoteReceived(FailoverState s, long epoch, List<FailoverAction> out) {
        if ((shadowConnectedState(s.state()) || s.state() == SUSPECT) && epoch > s.epoch()) {
            return promote(s, epoch, "planned switch-roles: the master handed over", true, out);
        }
        return s;
    }

    private static FailoverState forcePromote(FailoverState s, List<FailoverAction> out) {
        if (s.state() == DETACHED || shadowState(s.state())) {
            if (s.connected()) {
                out.add(new Disconnect("forced promotion"));
            }
            return promote(s.connected(false), Epochs.next(s.epoch()), "forced by the operator (switch-roles --force)", true, out);
        }
        return s;
    }

    /** Enter PROMOTING: persist the new epoch first; serving starts on {@link Persisted}. */
    static FailoverState promote(FailoverState s, long newEpoch, String why, boolean planned,
                                         List<FailoverAction> out) {
        out.add(new PersistState(newEpoch, Role.MASTER));
        return s.pending(newEpoch, planned).takeoverAt(FailoverState.NEVER).retryAt(FailoverState.NEVER)
                .with(PROMOTING, why);
    }

    private static FailoverState persisted(FailoverState s, Persisted p, FailoverTimings t, long now,
                                           List<FailoverAction> out) {
        if (s.state() != PROMOTING || p.role() != Role.MASTER || p.epoch() != s.pendingEpoch()) {
            return s;
        }
        long e = p.epoch();
        out.add(new StartServing(e));
        out.add(new RecordRoleChange(Role.SHADOW, Role.MASTER, e, s.reason()));
        if (!s.forced()) {
            out.add(new RaiseAlert(Severity.WARNING, AlertCategory.FAILOVER, "takeover",
                    "This node took over as master in epoch " + e + ": " + s.reason() + ". Check the former master;"
                            + " when it is back it rejoins as shadow (there is no automatic failback)."));
        }
        return s.epoch(e).pending(0, false).inSync(false).connected(false).retryAt(now + t.peerCheck())
                .with(ACTIVE_ALONE, s.reason());
    }

    // ------------------------------------------------------------------ master side (handover: FailoverHandover)

    private static FailoverState peerChecked(FailoverState s, PeerInfo peer, FailoverTimings t, long now,
                                             List<FailoverAction> out) {
        if (s.state() == STARTING) {
            if (peer != null) {
                out.add(new StartServing(s.epoch()));
                return s.takeoverAt(FailoverState.NEVER).retryAt(now + t.peerCheck())
                        .with(ACTIVE_ALONE, "peer " + peer.nodeId() + " is not serving; serving as master");
            }
            return s.retryAt(now + t.heartbeat());
        }
        return s;
    }

    private static FailoverState demoteReceived(FailoverState s, DemoteReceived d, FailoverTimings t, long now,
                                                List<FailoverAction> out) {
        if (d.epoch() > s.epoch() && (s.state().serving() || s.state() == STARTING || s.state() == PROMOTING)) {
            return stepDown(s, d.epoch(), "told to step down by " + d.from() + " serving in epoch " + d.epoch(), t, now, out);
        }
        return s;
    }

    /**
     * The epoch rules, applied (by the dispatcher, before any other handling) to everything a peer says. Returns the final state when they decide
     * the step (this node steps down); otherwise returns {@code s}, with a higher epoch adopted by a
     * non-serving node, for the caller's normal handling.
     */
    private static FailoverState epochRules(FailoverState s, PeerInfo peer, FailoverTimings t, long now,
                                            List<FailoverAction> out) {
        boolean meActive = s.state().serving() || s.state() == STARTING || s.state() == PROMOTING;
        // a promoting node already holds its new epoch: a heartbeat the handing-over master sent just before
        // the PROMOTE (still claiming the old epoch) must not win on the node-id tie-break
        long mine = s.state() == PROMOTING ? Math.max(s.epoch(), s.pendingEpoch()) : s.epoch();
        if (peer.active() && meActive) {
            if (outranks(peer.epoch(), peer.nodeId(), mine, s.nodeId())) {
                return stepDown(s, peer.epoch(), "peer " + peer.nodeId() + " is serving in epoch " + peer.epoch()
                        + " (this node: " + s.epoch() + ")", t, now, out);
            }
            out.add(new SendDemote(Math.max(s.epoch(), s.pendingEpoch())));
            return s;
        }
        if (!meActive && peer.epoch() > s.epoch()) {
            // a shadow adopts the newest epoch it has seen, durably, so it never goes backwards
            out.add(new PersistState(peer.epoch(), Role.SHADOW));
            return s.epoch(peer.epoch());
        }
        return s;
    }

    private static boolean isFinal(FailoverState before, FailoverState after) {
        return after.state() != before.state();
    }

    private static boolean outranks(long e1, String id1, long e2, String id2) {
        return e1 > e2 || (e1 == e2 && id1 != null && id1.compareTo(id2) > 0);
    }

    private static FailoverState stepDown(FailoverState s, long newEpoch, String why, FailoverTimings t, long now,
                                          List<FailoverAction> out) {
        if (s.state().serving()) {
            out.add(new StopServing(why));
        }
        if (s.state() == DEMOTING) {
            out.add(new ResumeWrites());
        }
        out.add(new PersistState(newEpoch, Role.SHADOW));
        out.add(new RecordRoleChange(Role.MASTER, Role.SHADOW, newEpoch, why));
        out.add(new RaiseAlert(Severity.WARNING, AlertCategory.FAILOVER, "stepped-down",
                "This node stopped serving and rejoins as shadow: " + why + ". No action needed unless it recurs;"
                        + " it resolves when this node is master again."));
        out.add(new Disconnect(why));
        out.add(new Connect());
        // a node that just stepped down gives the new master a long grace before it would promote again:
        // under load its first reconnect can be slow, and promoting then would make the pair flap
        return s.epoch(newEpoch).pending(0, false).connected(false).inSync(false).paired(true).refusals(0)
                .retryAt(FailoverState.NEVER).takeoverAt(now + STEPPED_DOWN_GRACE * t.takeover()).with(CONNECTING, why);
    }

    static long millis(long nanos) {
        return nanos / 1_000_000;
    }
}
