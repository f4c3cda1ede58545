package dev.understudy.dist.ha;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.NodeState;
import dev.understudy.common.home.Role;
import dev.understudy.ha.failover.HaState;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HA node's files and what it last wrote to them: node.json's peer and HA port, the pinned peer
 * certificate, and state.json (epoch, role, the acknowledged mark, the pending orphan check). Written by the
 * failover loop only; read on any thread.
 */
final class HaFiles {

    private static final Logger log = LoggerFactory.getLogger(HaFiles.class);

    private final NodeHome home;
    private final AlertStore alerts;
    private volatile NodeSettings settings;
    private volatile NodeState state;
    private volatile X509Certificate pinnedPeer;
    private volatile long persistedAcked;

    HaFiles(NodeHome home, NodeSettings settings, NodeState state, AlertStore alerts) throws IOException {
        this.home = home;
        this.alerts = alerts;
        this.settings = settings;
        this.state = state;
        this.pinnedPeer = Files.exists(home.peerCrt()) ? Certificates.readCertificate(home.peerCrt()) : null;
        this.persistedAcked = state.lastAckedRevision();
        if (settings.haPort() == 0) {
            // port 0 = let the OS choose, once: the peer must find this node at the same port after a role change
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(settings.haHost()))) {
                NodeSettings chosen = settings.withPorts(settings.adminPort(), probe.getLocalPort());
                home.saveSettings(chosen);
                this.settings = chosen;
            }
        }
    }

    NodeHome home() {
        return home;
    }

    NodeSettings settings() {
        return settings;
    }

    NodeState state() {
        return state;
    }

    X509Certificate pinnedPeer() {
        return pinnedPeer;
    }

    /** Whether a peer is pinned and its address known: the node starts paired. */
    boolean paired() {
        return pinnedPeer != null && settings.peerAddress() != null;
    }

    /** Settings in effect but not saved (an attach in progress points at its master before the pairing is done). */
    void useUnsaved(NodeSettings next) {
        settings = next;
    }

    /** Pins the peer: its certificate, then its address and node id in node.json. */
    void pin(X509Certificate peerCert, String peerAddress, String peerNodeId) throws IOException {
        Certificates.writeCertificate(home.peerCrt(), peerCert);
        NodeSettings next = settings.withPeer(peerAddress, peerNodeId);
        home.saveSettings(next);
        settings = next;
        pinnedPeer = peerCert;
    }

    /** Forgets the peer (detach): no pinned certificate, no peer in node.json. */
    void forgetPeer() throws IOException {
        Files.deleteIfExists(home.peerCrt());
        NodeSettings next = settings.withPeer(null, null);
        home.saveSettings(next);
        settings = next;
        pinnedPeer = null;
    }

    /**
     * Makes (epoch, role) durable; a new tenure as master also sets the acknowledged mark (simulation seed 8326
     * for why a pending orphan check keeps its mark). Returns false, with an alert, when state.json cannot be
     * written: without a durable epoch the node must not act on it.
     */
    boolean persist(long epoch, Role role, long head) {
        NodeState next = state.withEpochRole(epoch, role);
        if (role == Role.MASTER && state.role() == Role.SHADOW) {
            long shared = ServingDecision.newTenureAckedMark(state.orphanCheckFrom(), head);
            next = next.withLastAcked(shared);
            persistedAcked = shared;
        }
        try {
            home.saveState(next);
            state = next;
            return true;
        } catch (IOException e) {
            log.error("cannot write {}: {}; not acting on epoch {}", home.stateJson(), e.getMessage(), epoch);
            alerts.raise(Severity.ERROR, AlertCategory.FAILOVER, "persist",
                    "Cannot write " + home.stateJson() + " (" + e.getMessage() + "); this node cannot change role until"
                            + " the disk problem is fixed.");
            return false;
        }
    }

    /** Records a higher revision the shadow acknowledged. */
    void persistAcked(long acked) {
        if (acked <= persistedAcked) {
            return;
        }
        try {
            NodeState next = state.withLastAcked(acked);
            home.saveState(next);
            state = next;
            persistedAcked = acked;
        } catch (IOException e) {
            log.warn("cannot record the last acknowledged revision in {}: {}", home.stateJson(), e.getMessage());
        }
    }

    /**
     * At a step-down: the revision after which this node's own commits may be missing on the new master, made
     * durable (a restart before the first resync must still report them). An earlier tenure's check still
     * pending (promoted again before syncing) counts too.
     */
    long startOrphanCheck(long ackedByShadow) {
        long acked = Math.max(persistedAcked, ackedByShadow);
        if (state.orphanCheckFrom() != null) {
            acked = Math.min(acked, state.orphanCheckFrom());
        }
        saveOrphanCheck(acked);
        return acked;
    }

    /** Once this former master is in sync, whatever it lacked has been reported (or there was nothing). */
    void clearOrphanCheckWhenInSync(HaState now) {
        if (state.orphanCheckFrom() != null && now == HaState.STANDBY) {
            saveOrphanCheck(null);
        }
    }

    private void saveOrphanCheck(Long from) {
        try {
            NodeState next = state.withOrphanCheckFrom(from);
            home.saveState(next);
            state = next;
        } catch (IOException e) {
            log.error("cannot record the pending orphan check in {}: {}", home.stateJson(), e.getMessage());
        }
    }
}
