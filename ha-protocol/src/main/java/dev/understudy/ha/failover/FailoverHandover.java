package dev.understudy.ha.failover;

import static dev.understudy.ha.failover.FailoverMachine.millis;
import static dev.understudy.ha.failover.FailoverMachine.promote;
import static dev.understudy.ha.failover.FailoverMachine.STEPPED_DOWN_GRACE;
import static dev.understudy.ha.failover.HaState.ACTIVE_DEGRADED;
import static dev.understudy.ha.failover.HaState.ACTIVE_PAIRED;
import static dev.understudy.ha.failover.HaState.CONNECTING;
import static dev.understudy.ha.failover.HaState.DEMOTING;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.home.Epochs;
import dev.understudy.common.home.Role;
import dev.understudy.ha.failover.FailoverAction.FlushToPeer;
import dev.understudy.ha.failover.FailoverAction.PersistState;
import dev.understudy.ha.failover.FailoverAction.RecordRoleChange;
import dev.understudy.ha.failover.FailoverAction.SendPromote;
import dev.understudy.ha.failover.FailoverAction.StopServing;
import dev.understudy.ha.failover.FailoverAction.StopWrites;
import java.util.List;

/**
 * The master side of a planned switch-roles: entering DEMOTING (writes stopped, everything flushed to the
 * shadow) or refusing, and the handover itself once the shadow acknowledged. Pure, part of
 * {@link FailoverMachine#step}.
 */
final class FailoverHandover {

    private FailoverHandover() {}

    static FailoverState switchRoles(FailoverState s, boolean force, FailoverTimings t, long now,
                                             List<FailoverAction> out) {
        if (s.state() == ACTIVE_PAIRED || (s.state() == ACTIVE_DEGRADED && force && s.connected())) {
            out.add(new StopWrites());
            out.add(new FlushToPeer());
            return s.pending(Epochs.next(s.epoch()), force).takeoverAt(now + t.request())
                    .with(DEMOTING, force ? "switch-roles --force requested" : "switch-roles requested");
        }
        String why = switch (s.state()) {
            case ACTIVE_ALONE -> "no shadow is connected, so there is nothing to hand over to";
            case ACTIVE_DEGRADED -> s.connected()
                    ? "the shadow is not in sync; wait for it (see `understudy status`) or use --force"
                    : "no shadow is connected, so there is nothing to hand over to";
            case DEMOTING -> "a switch is already in progress";
            default -> "this node is not the active master";
        };
        out.add(new FailoverAction.RaiseAlert(Severity.INFO, AlertCategory.FAILOVER, "switch-refused",
                "switch-roles refused: " + why));
        return s;
    }

    static FailoverState handOver(FailoverState s, FailoverTimings t, long now, List<FailoverAction> out) {
        long e = s.pendingEpoch();
        // listeners closed before the peer is told to serve: the data planes never overlap
        out.add(new StopServing("planned switch-roles: handing over to the shadow"));
        out.add(new SendPromote(e));
        out.add(new PersistState(e, Role.SHADOW));
        out.add(new RecordRoleChange(Role.MASTER, Role.SHADOW, e, "planned switch-roles"));
        return s.epoch(e).pending(0, false).connected(false).inSync(false).refusals(0)
                .retryAt(now + t.heartbeat()).takeoverAt(now + STEPPED_DOWN_GRACE * t.takeover())
                .with(CONNECTING, "handed over to the shadow");
    }
}
