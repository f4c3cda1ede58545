package dev.understudy.dist.ha;

import dev.understudy.common.config.DataPlaneMode;
import dev.understudy.common.home.Role;
import dev.understudy.ha.failover.FailoverTimings;
import dev.understudy.ha.failover.HaState;

/**
 * Whether a shadow serves the data plane in active-active (DESIGN.md §5 "Data plane modes"): a pure value
 * stepped by the failover loop after each event. A shadow serves while in STANDBY (its configuration is the
 * master's); once out of sync it keeps serving for up to takeoverDelay (a short lag or reconnect is not worth
 * dropping connections for), then stops until it is back in STANDBY. After its own stall of takeoverDelay or
 * more it stops at once and waits for a frame from the master heard after the stall: the STANDBY it held
 * before the pause says nothing about what the master committed meanwhile.
 *
 * <pre>
 *   NOT_SERVING --STANDBY (fresh)--> SERVING --leaves STANDBY--> SERVING (outOfSyncSince = now)
 *        ^                                                           | now - outOfSyncSince >= takeoverDelay,
 *        +-----------------------------------------------------------+ or own stall >= takeoverDelay
 * </pre>
 *
 * @param serving        whether the shadow's data plane listens
 * @param outOfSyncSince when the shadow left STANDBY while serving; {@link #IN_SYNC} while in STANDBY
 * @param needsFreshSync whether it waits for the master to be heard after a stall before STANDBY counts again
 * @param reason         what status shows: why it serves or why not
 */
public record ShadowServing(boolean serving, long outOfSyncSince, boolean needsFreshSync, String reason) {

    /** {@link #outOfSyncSince} while in sync. */
    public static final long IN_SYNC = Long.MIN_VALUE;

    /** A shadow that has not yet been in sync since it started. */
    public static ShadowServing initial() {
        return new ShadowServing(false, IN_SYNC, false, "not yet in sync with the master");
    }

    /**
     * The decision after one event of the failover loop.
     *
     * @param mode       the data plane mode in effect
     * @param state      the machine's state after the event
     * @param heardPeer  whether the event was a frame from the master (heartbeat, push progress)
     * @param gap        how long the loop had not run before this event (its own stall)
     * @param now        the loop's clock
     */
    public ShadowServing step(DataPlaneMode mode, HaState state, boolean heardPeer, long gap, long now, FailoverTimings t) {
        if (mode != DataPlaneMode.ACTIVE_ACTIVE) {
            return new ShadowServing(false, IN_SYNC, false, "active-standby: only the master forwards");
        }
        if (state.role() != Role.SHADOW) {
            // a master serves through the failover machine's own StartServing
            return new ShadowServing(false, IN_SYNC, false, "master: serves as the master");
        }
        boolean fresh = needsFreshSync;
        if (gap >= t.takeover()) {
            fresh = true;
        }
        if (fresh && state == HaState.STANDBY && heardPeer && gap < t.takeover()) {
            fresh = false;
        }
        if (fresh) {
            return new ShadowServing(false, IN_SYNC, true, "paused for takeoverDelay or longer: not serving until the master"
                    + " has been heard again and the configuration is known to be current");
        }
        if (state == HaState.STANDBY) {
            return new ShadowServing(true, IN_SYNC, false, "in sync with the master (active-active)");
        }
        if (!serving) {
            return new ShadowServing(false, IN_SYNC, false, "out of sync with the master (" + state
                    + "): not serving until back in sync");
        }
        long since = outOfSyncSince == IN_SYNC ? now : outOfSyncSince;
        if (now - since >= t.takeover()) {
            return new ShadowServing(false, IN_SYNC, false, "out of sync with the master (" + state + ") for "
                    + (now - since) / 1_000_000 + " ms (takeoverDelay " + t.takeover() / 1_000_000
                    + " ms): not serving until back in sync");
        }
        return new ShadowServing(true, since, false, "briefly out of sync (" + state + "): serving for up to takeoverDelay");
    }
}
