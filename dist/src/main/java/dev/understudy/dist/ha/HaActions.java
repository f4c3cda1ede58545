package dev.understudy.dist.ha;

import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.ha.failover.FailoverAction;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverState;
import dev.understudy.ha.failover.FailoverTimings;
import dev.understudy.master.PeerChecker;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out what the failover machine decided, in the order given, on the failover loop: each action goes to
 * the data plane, the files, the role objects, the alerts, the peer checker or the pending switch. It decides
 * nothing; what it learns comes back to the loop as events.
 */
final class HaActions {

    private static final Logger log = LoggerFactory.getLogger(HaActions.class);

    /** Where the actions go. */
    record Targets(ServingHooks hooks, HaFiles files, ConfigStore store, AlertStore alerts, HaRoles roles,
                   SwitchRoles switches, RoleChangeRecorder recorder, PeerChecker checker) {}

    private final ServingHooks hooks;
    private final HaFiles files;
    private final ConfigStore store;
    private final AlertStore alerts;
    private final HaRoles roles;
    private final SwitchRoles switches;
    private final RoleChangeRecorder recorder;
    private final PeerChecker checker;
    private final Supplier<FailoverState> fs;
    private final FailoverTimings timings;
    private final Consumer<FailoverEvent> post;

    HaActions(Targets t, Supplier<FailoverState> fs, FailoverTimings timings, Consumer<FailoverEvent> post) {
        this.hooks = t.hooks();
        this.files = t.files();
        this.store = t.store();
        this.alerts = t.alerts();
        this.roles = t.roles();
        this.switches = t.switches();
        this.recorder = t.recorder();
        this.checker = t.checker();
        this.fs = fs;
        this.timings = timings;
        this.post = post;
    }

    void perform(List<FailoverAction> actions) {
        for (FailoverAction a : actions) {
            if (a instanceof FailoverAction.StopServing s) {
                hooks.stopServing(s.reason());
            } else if (a instanceof FailoverAction.PersistState p) {
                if (files.persist(p.epoch(), p.role(), store.revision())) {
                    post.accept(new FailoverEvent.Persisted(p.epoch(), p.role()));
                }
            } else if (a instanceof FailoverAction.StartServing s) {
                hooks.startServing(s.epoch());
            } else if (a instanceof FailoverAction.Connect) {
                roles.connect(fs.get().state().role());
            } else if (a instanceof FailoverAction.Disconnect d) {
                roles.disconnect(d.reason(), fs.get().state().role());
            } else if (a instanceof FailoverAction.CheckPeer) {
                checkPeer(0);
            } else if (a instanceof FailoverAction.SendPromote p) {
                roles.sendPromote(p.epoch());
            } else if (a instanceof FailoverAction.SendDemote d && !roles.sendDemote(d.epoch())) {
                checkPeer(d.epoch());
            } else if (a instanceof FailoverAction.FlushToPeer) {
                long rev = store.revision();
                roles.awaitAck(rev).thenAccept(ok -> {
                    if (ok) {
                        post.accept(new FailoverEvent.HandoverAcked(rev));
                    }
                });
            } else if (a instanceof FailoverAction.RaiseAlert r) {
                if ("switch-refused".equals(r.key())) {
                    switches.fail(r.message());
                } else {
                    alerts.raise(r.severity(), r.category(), r.key(), r.message());
                }
            } else if (a instanceof FailoverAction.ResolveAlert r) {
                alerts.resolve(r.category(), null);
            } else if (a instanceof FailoverAction.RecordRoleChange c) {
                recorder.record(c, roles.ackedRevision());
            }
            // StopWrites and ResumeWrites: whether writes are accepted is read from the machine's state (DEMOTING)
        }
    }

    private void checkPeer(long demoteEpoch) {
        NodeSettings s = files.settings();
        if (s.peerAddress() == null || files.pinnedPeer() == null) {
            post.accept(new FailoverEvent.PeerChecked(null, FailoverEvent.Failure.ERROR));
            return;
        }
        PeerChecker.Self self = new PeerChecker.Self(s.nodeId(), fs.get().epoch(), fs.get().state().name(), store.head());
        CompletableFuture<FailoverEvent.PeerChecked> f = checker.check(HostPort.parse(s.peerAddress()), files.pinnedPeer(),
                self, demoteEpoch);
        if (demoteEpoch == 0) {
            f.thenAccept(post);
        }
    }

    void logStep(FailoverState before, FailoverState after) {
        if (before.state() != after.state()) {
            log.info("HA state {} -> {} (epoch {}): {}", before.state(), after.state(), after.epoch(), after.reason());
        }
        if (!before.held() && after.held()) {
            log.warn("this node did not run for takeoverDelay or longer (paused or starved; takeoverDelay {} ms): the"
                    + " shadow may have taken over, so serving stops until the peer is checked", timings.takeover() / 1_000_000);
        } else if (before.held() && !after.held() && after.serving()) {
            log.info("peer checked after the pause: no other node serves in a higher epoch; serving again in epoch {}",
                    after.epoch());
        }
    }
}
