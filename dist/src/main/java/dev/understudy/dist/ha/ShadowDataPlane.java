package dev.understudy.dist.ha;

import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.DataPlaneMode;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverState;
import dev.understudy.ha.failover.FailoverTimings;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active-active on a shadow: carries out what {@link ShadowServing} decides after each step of the failover loop,
 * starting or stopping the data plane through the node's {@link ServingHooks}. Runs on the loop thread.
 */
final class ShadowDataPlane {

    private static final Logger log = LoggerFactory.getLogger(ShadowDataPlane.class);

    private final ServingHooks hooks;
    private final ConfigStore store;
    private final Supplier<NodeSettings> settings;
    private final FailoverTimings timings;
    private volatile ShadowServing decision = ShadowServing.initial();

    ShadowDataPlane(ServingHooks hooks, ConfigStore store, Supplier<NodeSettings> settings, FailoverTimings timings) {
        this.hooks = hooks;
        this.store = store;
        this.settings = settings;
        this.timings = timings;
    }

    /** After the loop handled {@code e} (its own lateness before it was {@code gap}) and reached {@code fs}. */
    void afterStep(FailoverEvent e, long gap, FailoverState fs, long now) {
        boolean heard = e instanceof FailoverEvent.PeerHeard || e instanceof FailoverEvent.SyncProgress
                || e instanceof FailoverEvent.Connected;
        ShadowServing before = decision;
        decision = before.step(mode(), fs.state(), heard, gap, now, timings);
        if (before.serving() == decision.serving() || fs.serving()) {
            return; // unchanged, or the master side serves (it started after a promotion, within this step)
        }
        if (decision.serving()) {
            log.info("active-active: the shadow serves the data plane: {}", decision.reason());
            hooks.startServing(fs.epoch());
        } else {
            log.warn("active-active: the shadow stops serving the data plane: {}", decision.reason());
            hooks.stopServing(decision.reason());
        }
    }

    /** The data plane mode in effect: node.json's, else the replicated settings/dataPlane, else active-standby. */
    DataPlaneMode mode() {
        return DataPlaneMode.effective(settings.get().dataPlane(),
                store.read(doc -> doc.get(ConfigCollection.SETTINGS, DataPlaneMode.SETTING_KEY)));
    }

    /** Whether the shadow's data plane listens. */
    boolean serving() {
        return decision.serving();
    }

    /** Why the data plane serves or not while this node is a shadow; null on a master. */
    String reason(Role role) {
        return role == Role.SHADOW ? decision.reason() : null;
    }
}
