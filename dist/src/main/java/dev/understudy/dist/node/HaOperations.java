package dev.understudy.dist.node;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.concurrent.Futures;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.dist.ha.HaNode;
import java.io.IOException;
import java.time.Duration;

/**
 * The operator's HA operations on a started node (attach, detach, reset, switch-roles): each waits
 * for the HA runtime's answer within its own bound and turns a refusal into an {@link IOException}
 * whose message says what to do.
 */
final class HaOperations {

    private static final Duration DETACH = Duration.ofSeconds(10);

    private final HaNode ha;
    private final NodeSettings settings;
    private final AlertStore alerts;

    HaOperations(HaNode ha, NodeSettings settings, AlertStore alerts) {
        this.ha = ha;
        this.settings = settings;
        this.alerts = alerts;
    }

    /** `understudy attach`: pairs this shadow with the master at {@code master}; returns a one-line summary. */
    String attach(String master, String user, char[] password, String fingerprint) throws IOException {
        HostPort addr = HostPort.parse(master);
        return Futures.within(ha.attach(addr, user, password, fingerprint), Duration.ofSeconds(30),
                "attach: pairing with the master at " + master,
                "check the address and that the master runs `understudy run`");
    }

    /** `understudy detach`: forgets the peer on this node. */
    void detach() throws IOException {
        Futures.within(ha.detach(false), DETACH, "detach");
    }

    /** `understudy reset`: forgets the peer and clears HA alerts; refused on a master while a shadow is connected. */
    void reset() throws IOException {
        Futures.within(ha.detach(true), DETACH, "reset");
        for (var c : new AlertCategory[] {AlertCategory.PUSH_FAILED, AlertCategory.PEER_UNREACHABLE,
                AlertCategory.CONFIG_INCONSISTENT, AlertCategory.PAIRING_REJECTED, AlertCategory.VERSION_MISMATCH}) {
            alerts.resolve(c, null);
        }
    }

    /** `understudy switch-roles [--force]`; returns what happened, or throws with why it was refused. */
    String switchRoles(boolean force) throws IOException {
        Duration bound = settings.requestTimeout().plus(settings.takeoverDelay()).plusSeconds(5);
        return Futures.within(ha.switchRoles(force), bound, "switch-roles", "see `understudy status` on both nodes");
    }
}
