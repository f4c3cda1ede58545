package dev.understudy.dist.node;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.dist.ha.HaNode;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The operator's HA operations on a started node (attach, detach, reset, switch-roles): each waits
 * for the HA runtime's answer within its own bound and turns a refusal into an {@link IOException}
 * whose message says what to do.
 */
final class HaOperations {

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
        try {
            return ha.attach(addr, user, password, fingerprint).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("attach: the master at " + master + " did not complete pairing within 30 s"
                    + " (check the address and that the master runs `understudy run`)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("attach interrupted");
        }
    }

    /** `understudy detach`: forgets the peer on this node. */
    void detach() throws IOException {
        await(ha.detach(false), "detach");
    }

    /** `understudy reset`: forgets the peer and clears HA alerts; refused on a master while a shadow is connected. */
    void reset() throws IOException {
        await(ha.detach(true), "reset");
        for (var c : new AlertCategory[] {
                AlertCategory.PUSH_FAILED,
                AlertCategory.PEER_UNREACHABLE,
                AlertCategory.CONFIG_INCONSISTENT,
                AlertCategory.PAIRING_REJECTED,
                AlertCategory.VERSION_MISMATCH}) {
            alerts.resolve(c, null);
        }
    }

    /** `understudy switch-roles [--force]`; returns what happened, or throws with why it was refused. */
    String switchRoles(boolean force) throws IOException {
        try {
            return ha.switchRoles(force).get(settings.requestTimeout().toMillis() + settings.takeoverDelay().toMillis()
                    + 5000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("switch-roles did not complete in time; see `understudy status` on both nodes");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("switch-roles interrupted");
        }
    }

    private static void await(CompletableFuture<Void> f, String what) throws IOException {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException(what + " did not complete within 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(what + " interrupted");
        }
    }
}
