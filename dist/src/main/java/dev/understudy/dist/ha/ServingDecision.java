package dev.understudy.dist.ha;

import dev.understudy.ha.failover.FailoverState;
import dev.understudy.ha.failover.HaState;

/**
 * What status, the data plane and the admin API report, read from the failover machine's state (the one the
 * loop holds now, and the one it last published) and whether the loop is stalled now; and where a new
 * tenure's acknowledged mark starts. Pure; the HA node and the whole-cluster simulation both read them here.
 */
public final class ServingDecision {

    private ServingDecision() {}

    /** Whether status says serving: the data plane runs and the published state is a serving one. */
    public static boolean serving(boolean dataPlaneOn, HaState published, boolean stalled) {
        return dataPlaneOn && published.serving() && !stalled;
    }

    /**
     * Whether writes are accepted: the loop's state (already the new one while a step is performed, so a
     * step-down refuses at once) and the published one both accept them (a new tenure accepts once published),
     * and the loop is not stalled now.
     */
    public static boolean acceptsWrites(FailoverState current, FailoverState published, boolean stalled) {
        return current.acceptsWrites() && published != null && published.acceptsWrites() && !stalled;
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
