package dev.understudy.dist.ha;

import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverTimings;
import dev.understudy.ha.failover.HaState;

/**
 * The failover loop's serving decisions, written once: what status, the data plane and the admin API
 * report, when the loop holds serving after its own stall, and where a new tenure's acknowledged mark starts. Pure functions of the loop's state
 * and the time; the HA node and the whole-cluster simulation both read them from here.
 */
public final class ServingDecision {

    private ServingDecision() {}

    /**
     * Whether a paired node's loop has not run for takeoverDelay: answered on other threads, possibly
     * before the loop has run after a resume, so it must not vouch for serving then.
     */
    public static boolean stalledNow(boolean paired, long now, long lastLoop, FailoverTimings t) {
        return paired && now - lastLoop >= t.takeover();
    }

    /** Whether status says serving: the data plane runs and the published state is a serving one. */
    public static boolean serving(boolean dataPlaneOn, HaState published, boolean stalled) {
        return dataPlaneOn && published.serving() && !stalled;
    }

    /** Whether writes are accepted: an active master not handing over, not held after a stall. */
    public static boolean acceptsWrites(HaState published, boolean writesStopped, boolean heldAfterStall, boolean stalled) {
        return published.serving() && published != HaState.DEMOTING && !writesStopped && !heldAfterStall && !stalled;
    }

    /** Whether a loop gap is this node's own stall, to be discounted by the machine ({@code Stalled}). */
    public static boolean isStall(long gap, FailoverTimings t) {
        return gap >= Math.max(t.takeover() / 2, 10 * t.heartbeat() / 4);
    }

    /**
     * Whether a gap of {@code gap} starts the stall hold: a paired serving node that did not run for
     * takeoverDelay cannot know whether its shadow took over meanwhile, so it stops serving until it
     * has checked its peer.
     */
    public static boolean holdAfterStall(long gap, FailoverTimings t, boolean dataPlaneOn, boolean paired, HaState state,
                                         boolean held) {
        return gap >= t.takeover() && dataPlaneOn && paired && state.serving() && !held;
    }

    /** What the stall hold does after a step of the machine. */
    public enum HoldAfterStep {
        /** Still waiting for the peer check. */
        KEEP,
        /** The node stepped down: nothing to resume. */
        DROP,
        /** The peer was checked and no other node serves in a higher epoch: serve again. */
        SERVE
    }

    /** Whether the stall hold ends after {@code e} left the machine in {@code state}. */
    public static HoldAfterStep afterStep(HaState state, FailoverEvent e) {
        if (!state.serving()) {
            return HoldAfterStep.DROP;
        }
        return e instanceof FailoverEvent.PeerChecked && state != HaState.DEMOTING ? HoldAfterStep.SERVE : HoldAfterStep.KEEP;
    }

    /**
     * The acknowledged mark a new tenure as master starts from: everything up to the head is shared history
     * (this node received it as shadow), unless it stepped down and never caught up since ({@code
     * orphanCheckFrom} still pending): then its own revisions after that mark are not shared, and a later
     * step-down must still report them.
     */
    public static long newTenureAckedMark(Long orphanCheckFrom, long head) {
        return orphanCheckFrom != null ? orphanCheckFrom : head;
    }
}
