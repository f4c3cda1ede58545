package dev.understudy.ha.failover;

import static dev.understudy.ha.failover.FailoverMachine.millis;
import static dev.understudy.ha.failover.FailoverMachine.promote;
import static dev.understudy.ha.failover.HaState.ACTIVE_ALONE;
import static dev.understudy.ha.failover.HaState.ACTIVE_DEGRADED;
import static dev.understudy.ha.failover.HaState.ACTIVE_PAIRED;
import static dev.understudy.ha.failover.HaState.SUSPECT;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.home.Epochs;
import dev.understudy.ha.failover.FailoverAction.CheckPeer;
import dev.understudy.ha.failover.FailoverAction.Connect;
import dev.understudy.ha.failover.FailoverAction.Disconnect;
import dev.understudy.ha.failover.FailoverAction.RaiseAlert;
import dev.understudy.ha.failover.FailoverAction.ResumeWrites;
import dev.understudy.ha.failover.FailoverAction.StartServing;
import java.util.List;

/**
 * The failover machine's deadlines: what a {@link FailoverEvent.Tick} does in each state once the time has
 * come (promotion after silence, retries, peer checks, the end of a restarted master's check, a handover's
 * timeout). Pure, part of {@link FailoverMachine#step}.
 */
final class FailoverDeadlines {

    private FailoverDeadlines() {}

    static FailoverState tick(FailoverState s, FailoverTimings t, long now, List<FailoverAction> out) {
        switch (s.state()) {
            case CONNECTING -> {
                // only after an attempt has failed (retry pending): a connection still being set up on a slow
                // host is no evidence that the master is gone (the attempt itself is bounded by the connect,
                // TLS handshake and HELLO timeouts, and ends in ConnectFailed)
                if (now >= s.takeoverAt() && s.retryAt() != FailoverState.NEVER) {
                    return promote(s, Epochs.next(s.epoch()), "master unreachable for " + millis(t.takeover())
                            + " ms since this shadow started", false, out);
                }
                if (now >= s.retryAt()) {
                    out.add(new Connect());
                    return s.retryAt(FailoverState.NEVER);
                }
            }
            case SYNCING, STANDBY, LAGGING -> {
                if (now - s.lastHeard() >= t.suspect()) {
                    return s.with(SUSPECT, "master silent for " + millis(now - s.lastHeard()) + " ms");
                }
            }
            case SUSPECT -> {
                if (now >= s.takeoverAt()) {
                    if (s.connected()) {
                        out.add(new Disconnect("master silent for " + millis(now - s.lastHeard()) + " ms"));
                    }
                    return promote(s.connected(false), Epochs.next(s.epoch()),
                            "master silent for " + millis(now - s.lastHeard()) + " ms (takeoverDelay "
                                    + millis(t.takeover()) + " ms)", false, out);
                }
                if (!s.connected() && now >= s.retryAt()) {
                    out.add(new Connect());
                    return s.retryAt(FailoverState.NEVER);
                }
            }
            case STARTING -> {
                if (now >= s.takeoverAt()) {
                    out.add(new StartServing(s.epoch()));
                    out.add(new RaiseAlert(Severity.WARNING, AlertCategory.PEER_UNREACHABLE, "shadow",
                            "The peer did not answer within takeoverDelay after this master restarted; serving alone."
                                    + " Check the peer; it rejoins as shadow when it is back."));
                    return s.takeoverAt(FailoverState.NEVER).retryAt(now + t.peerCheck())
                            .with(ACTIVE_ALONE, "peer silent while restarting");
                }
                if (now >= s.retryAt()) {
                    out.add(new CheckPeer());
                    return s.retryAt(FailoverState.NEVER);
                }
            }
            case ACTIVE_ALONE -> {
                if (s.paired() && now >= s.retryAt()) {
                    // a peer that is not connected may be serving on the other side of a healed partition
                    out.add(new CheckPeer());
                    return s.retryAt(now + t.peerCheck());
                }
            }
            case DEMOTING -> {
                if (now >= s.takeoverAt()) {
                    if (s.forced()) {
                        return FailoverHandover.handOver(s, t, now, out);
                    }
                    out.add(new ResumeWrites());
                    out.add(new RaiseAlert(Severity.WARNING, AlertCategory.PUSH_FAILED, "switch-roles",
                            "switch-roles aborted: the shadow did not acknowledge the last revision within "
                                    + millis(t.request()) + " ms; this node stays master. Check the shadow, or use"
                                    + " `understudy switch-roles --force`."));
                    return s.pending(0, false).takeoverAt(FailoverState.NEVER)
                            .with(s.inSync() ? ACTIVE_PAIRED : ACTIVE_DEGRADED, "switch-roles timed out");
                }
            }
            default -> {
                return s;
            }
        }
        return s;
    }
}
