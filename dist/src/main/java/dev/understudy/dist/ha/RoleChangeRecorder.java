package dev.understudy.dist.ha;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.EventLog;
import dev.understudy.common.home.Role;
import dev.understudy.ha.failover.FailoverAction;
import dev.understudy.shadow.ShadowReplica;
import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out {@link FailoverAction.RecordRoleChange}: the line in events.log, the alerts a tenure's start or
 * end resolves, the orphan check a step-down starts, and the operator's role-change hook.
 */
final class RoleChangeRecorder {

    private static final Logger log = LoggerFactory.getLogger(RoleChangeRecorder.class);

    private final HaFiles files;
    private final AlertStore alerts;
    private final Clock clock;
    private final ShadowReplica replica;
    private final OrphanReport orphans;
    private final EventLog events;
    private final RoleChangeHook hook;
    private final AtomicLong failovers = new AtomicLong();

    RoleChangeRecorder(HaFiles files, AlertStore alerts, Clock clock, ShadowReplica replica) {
        this.files = files;
        this.alerts = alerts;
        this.clock = clock;
        this.replica = replica;
        this.orphans = new OrphanReport(files, alerts, clock);
        this.events = files.home().eventLog();
        this.hook = new RoleChangeHook(files.home().roleChangeHook(), why ->
                alerts.raise(Severity.WARNING, AlertCategory.FAILOVER, "hook", why));
        Long pending = files.state().orphanCheckFrom();
        if (pending != null) {
            replica.checkOrphansFrom(pending, orphans::write);
        }
    }

    /** How many times this node became master since it started. */
    long failovers() {
        return failovers.get();
    }

    /** Records {@code c}; {@code ackedByShadow} is what the shadow of the ending tenure acknowledged. */
    void record(FailoverAction.RecordRoleChange c, long ackedByShadow) {
        try {
            events.append(new EventLog.Event(Instant.ofEpochMilli(clock.currentTimeMillis()).toString(),
                    c.from().wireName(), c.to().wireName(), c.epoch(), c.reason()));
        } catch (IOException e) {
            log.error("cannot append to {}: {}", files.home().eventsLog(), e.getMessage());
        }
        log.warn("ROLE CHANGE {} -> {} in epoch {}: {}", c.from(), c.to(), c.epoch(), c.reason());
        if (c.to() == Role.MASTER) {
            failovers.incrementAndGet();
            // a master is not "stepped down", and a pairing refusal its shadow role saw no longer applies
            alerts.resolve(AlertCategory.FAILOVER, "stepped-down");
            alerts.resolve(AlertCategory.PAIRING_REJECTED, "master");
            alerts.resolve(AlertCategory.PAIRING_REJECTED, "tls:" + files.settings().peerAddress());
        }
        if (c.from() == Role.MASTER && c.to() == Role.SHADOW) {
            replica.checkOrphansFrom(files.startOrphanCheck(ackedByShadow), orphans::write);
            // master-only alerts end with the tenure: the new master raises its own
            alerts.resolve(AlertCategory.PUSH_FAILED, null);
            alerts.resolve(AlertCategory.PEER_UNREACHABLE, null);
            alerts.resolve(AlertCategory.FAILOVER, "takeover");
        }
        hook.run(c.from().wireName(), c.to().wireName(), c.epoch());
    }
}
