package dev.understudy.ha.failover;

import static dev.understudy.ha.failover.FailoverMachine.millis;
import static dev.understudy.ha.failover.HaState.DEMOTING;
import static dev.understudy.ha.failover.HaState.LAGGING;
import static dev.understudy.ha.failover.HaState.STANDBY;

import dev.understudy.ha.failover.FailoverAction.CheckPeer;
import dev.understudy.ha.failover.FailoverAction.StartServing;
import dev.understudy.ha.failover.FailoverAction.StopServing;
import java.util.List;

/**
 * What this node does about its own stalls (SIGSTOP, a VM freeze, a long GC, starvation), measured from the
 * lateness of its loop ({@link FailoverEvent.LoopRan}, fed before every other event) and kept in
 * {@link FailoverState#lastRun()} and {@link FailoverState#held()}:
 * <ul>
 *   <li>silence measured across the stall is not the peer's: the peer gets a fresh takeoverDelay
 *       ({@link FailoverEvent.Stalled});</li>
 *   <li>a paired serving node that did not run for takeoverDelay cannot know whether its shadow took over
 *       meanwhile: it stops serving at once and checks its peer, and serves again only once the check says no
 *       other node serves in a higher epoch (DESIGN.md §5: a node must not serve in an epoch that was
 *       superseded).</li>
 * </ul>
 * Pure, part of {@link FailoverMachine#step}.
 */
public final class StallHold {

    private StallHold() {}

    /**
     * Whether {@code s}'s loop has not run for takeoverDelay at {@code now} while paired: answered on other
     * threads, possibly before the loop has run after a resume, so it must not vouch for serving then.
     */
    public static boolean stalledAt(FailoverState s, FailoverTimings t, long now) {
        return s.paired() && s.lastRun() != FailoverState.NEVER && now - s.lastRun() >= t.takeover();
    }

    /** How long the loop did not run before {@code now}; 0 before its first run. */
    static long gap(FailoverState s, long now) {
        return s.lastRun() == FailoverState.NEVER ? 0 : Math.max(0, now - s.lastRun());
    }

    /** Whether a loop gap is this node's own stall, to be discounted ({@link FailoverEvent.Stalled}). */
    static boolean isStall(long gap, FailoverTimings t) {
        return gap >= Math.max(t.takeover() / 2, 10 * t.heartbeat() / 4);
    }

    /** Starts the hold after a gap of takeoverDelay or more on a paired serving node. */
    static FailoverState hold(FailoverState s, long gap, FailoverTimings t, List<FailoverAction> out) {
        if (gap < t.takeover() || !s.serving() || !s.paired()) {
            return s;
        }
        out.add(new StopServing("paused for " + millis(gap) + " ms (takeoverDelay " + millis(t.takeover())
                + " ms); checking the peer before serving again"));
        out.add(new CheckPeer());
        return s.held(true);
    }

    /**
     * The hold after a step from {@code before} to {@code next} on {@code e}: it ends when the node stepped down
     * (nothing to resume), or when the peer was checked and this node still serves (serving again). While held
     * the data plane is already stopped, so a step-down has nothing more to stop.
     */
    static FailoverState afterStep(FailoverState before, FailoverState next, FailoverEvent e, List<FailoverAction> out) {
        if (before.held()) {
            out.removeIf(a -> a instanceof StopServing);
        }
        if (!next.held()) {
            return next;
        }
        if (!next.state().serving()) {
            return next.held(false);
        }
        if (e instanceof FailoverEvent.PeerChecked && next.state() != DEMOTING) {
            if (out.stream().noneMatch(a -> a instanceof StartServing)) {
                out.add(new StartServing(next.epoch()));
            }
            return next.held(false);
        }
        return next;
    }

    /**
     * After a stall of this node, the peer gets a fresh takeoverDelay: a shadow that was itself paused
     * must not promote over a healthy master because of silence it caused. (A master that really died
     * meanwhile is replaced one takeoverDelay later; a crash is still confirmed at once by refused
     * reconnects.)
     */
    static FailoverState stalled(FailoverState s, long gap, FailoverTimings t, long now) {
        switch (s.state()) {
            case SYNCING, STANDBY, LAGGING -> {
                return s.heard(now).takeoverAt(now + t.takeover());
            }
            case SUSPECT -> {
                FailoverState n = s.heard(now).takeoverAt(now + t.takeover());
                return n.connected() ? n.with(n.inSync() ? STANDBY : LAGGING, "resumed after this node stalled for "
                        + millis(gap) + " ms") : n;
            }
            case CONNECTING -> {
                return s.takeoverAt() == FailoverState.NEVER ? s : s.takeoverAt(now + t.takeover());
            }
            case STARTING -> {
                return s.takeoverAt(now + t.takeover());
            }
            default -> {
                return s;
            }
        }
    }
}
