package dev.understudy.shadow;

import dev.understudy.common.store.Head;

/**
 * The shadow's in-sync decision, sans I/O: from the master's heartbeats and this node's acks it says
 * when the shadow is in sync, when it has fallen behind (a lag that makes no progress across three
 * heartbeats; pushes in flight are not a lag), and when the configurations differ at the same
 * revision. Not thread-safe: one connection's event loop drives it.
 */
public final class ShadowSync {

    /** Heartbeats showing the master ahead, with no progress here, before the shadow counts as behind. */
    static final int BEHIND_BEATS = 3;

    /**
     * What one heartbeat means.
     *
     * @param inSync       the new in-sync value when it changed, else null
     * @param hashMismatch same revision as the master but a different hash: ask for a full transfer
     * @param hashMatch    same revision and hash as the master: any inconsistency is over
     */
    public record Verdict(Boolean inSync, boolean hashMismatch, boolean hashMatch) {
        static final Verdict NONE = new Verdict(null, false, false);
    }

    private int behindBeats;
    private long revisionAtLastBeat = -1;
    private Boolean lastInSync;

    /** A heartbeat from the master at (revision, hash); {@code head} is this node's. */
    public Verdict onHeartbeat(long masterRevision, String masterHash, Head head, boolean transferInProgress) {
        if (transferInProgress) {
            return Verdict.NONE;
        }
        Boolean changed;
        boolean mismatch = false;
        boolean same = masterRevision == head.revision();
        if (same) {
            behindBeats = 0;
            mismatch = !masterHash.equals(head.hash());
            changed = set(!mismatch);
        } else if (masterRevision > head.revision()) {
            // pushes are in flight; only a lag that makes no progress across heartbeats counts
            behindBeats = head.revision() == revisionAtLastBeat ? behindBeats + 1 : 0;
            changed = behindBeats >= BEHIND_BEATS ? set(false) : null;
        } else {
            behindBeats = 0;
            changed = set(false);
        }
        revisionAtLastBeat = head.revision();
        return new Verdict(changed, mismatch, same && !mismatch);
    }

    /** This node acknowledged {@code ackedRevision}; the master last said it was at {@code masterRevision}. */
    public Boolean onAcked(long ackedRevision, long masterRevision) {
        if (ackedRevision >= masterRevision) {
            behindBeats = 0;
            return set(true);
        }
        return null;
    }

    private Boolean set(boolean now) {
        if (lastInSync == null || lastInSync != now) {
            lastInSync = now;
            return now;
        }
        return null;
    }
}
