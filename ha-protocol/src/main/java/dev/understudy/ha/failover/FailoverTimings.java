package dev.understudy.ha.failover;

import java.time.Duration;

/**
 * Timing parameters of failure detection, in nanoseconds.
 *
 * @param heartbeat   interval between heartbeats
 * @param takeover    silence from the master after which the shadow promotes
 * @param suspect     silence after which a shadow calls its master suspect (3 heartbeats)
 * @param confirm     spacing of the connection attempts that confirm a crashed master's host refuses
 * @param request     how long a planned handover waits for the shadow's ack
 * @param peerCheck   how often an active node without a connected peer checks the peer (split brain)
 */
public record FailoverTimings(long heartbeat, long takeover, long suspect, long confirm, long request, long peerCheck) {

    public FailoverTimings {
        if (heartbeat <= 0 || takeover <= 0 || suspect <= 0 || confirm <= 0 || request <= 0 || peerCheck <= 0) {
            throw new IllegalArgumentException("failover timings: every interval must be > 0");
        }
    }

    public static FailoverTimings of(Duration heartbeat, Duration takeover, Duration request) {
        long hb = heartbeat.toNanos();
        long to = takeover.toNanos();
        return new FailoverTimings(hb, to, Math.min(3 * hb, to), Math.max(hb / 8, 10_000_000L), request.toNanos(),
                Math.max(hb * 5, 500_000_000L));
    }
}
