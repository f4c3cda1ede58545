package dev.understudy.dist.ha;

import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.handshake.PeerView;
import dev.understudy.master.MasterRole;
import dev.understudy.master.PairingAuthority;
import dev.understudy.shadow.ShadowReplica;
import dev.understudy.shadow.ShadowRole;
import io.netty.channel.EventLoopGroup;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The role objects of an HA node: exactly one {@link MasterRole} or {@link ShadowRole} exists, the one for the
 * current role, created and closed by the failover loop; the actions that go to them; and what they know, read
 * on any thread.
 */
final class HaRoles {

    private static final Logger log = LoggerFactory.getLogger(HaRoles.class);

    /** What every role object is built from. */
    record Parts(HaFiles files, ConfigStore store, AlertStore alerts, Clock clock, EventLoopGroup boss,
                 EventLoopGroup workers, PrivateKey key, X509Certificate cert, ShadowReplica replica) {}

    private final Parts p;
    private final LongSupplier epoch;
    private final Supplier<String> state;
    private final Consumer<FailoverEvent> post;
    private final PairingAuthority authority;
    private volatile MasterRole master;
    private volatile ShadowRole shadow;
    private volatile int haPort;
    private volatile int adminPort;

    HaRoles(Parts parts, LongSupplier epoch, Supplier<String> state, Consumer<FailoverEvent> post,
            PairingAuthority authority) {
        this.p = parts;
        this.epoch = epoch;
        this.state = state;
        this.post = post;
        this.authority = authority;
    }

    /** Creates or stops role objects so that exactly the one for {@code want} exists. */
    void ensure(Role want) {
        if (want == Role.MASTER && master == null) {
            closeShadow();
            startMaster();
        } else if (want == Role.SHADOW && shadow == null) {
            if (master != null) {
                master.close();
                master = null;
            }
            NodeSettings s = p.files().settings();
            HostPort addr = s.peerAddress() == null ? new HostPort("0.0.0.0", 1) : HostPort.parse(s.peerAddress());
            shadow = newShadow(addr, p.files().pinnedPeer());
        }
    }

    /** A new shadow role for the master at {@code masterAddr} ({@code pinned} null while pairing). */
    ShadowRole newShadow(HostPort masterAddr, X509Certificate pinned) {
        NodeSettings s = p.files().settings();
        return new ShadowRole(new ShadowRole.Settings(s.nodeId(), masterAddr, advertisedHaAddress(), s.heartbeatInterval(),
                s.connectTimeout(), p.key(), p.cert(), pinned), p.workers(), p.replica(), p.clock(), epoch, state, post,
                p.alerts());
    }

    /** Replaces the shadow role (pairing) with {@code next}, possibly null. */
    void replaceShadow(ShadowRole next) {
        closeShadow();
        shadow = next;
    }

    void closeAll() {
        if (master != null) {
            master.close();
            master = null;
        }
        closeShadow();
    }

    private void closeShadow() {
        if (shadow != null) {
            shadow.close();
            shadow = null;
        }
    }

    private void startMaster() {
        NodeSettings s = p.files().settings();
        master = new MasterRole(new MasterRole.Settings(s.nodeId(), s.haHost(), haPortToBind(), s.heartbeatInterval(),
                s.takeoverDelay(), s.requestTimeout(), p.key(), p.cert(), s.permittedShadowHost()), p.boss(), p.workers(),
                p.store(), p.alerts(), p.clock(), epoch, state, post, authority);
        master.advertiseAdminPort(adminPort);
        try {
            haPort = master.start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) { // Netty rethrows the checked BindException undeclared
            String why = "haPort: cannot listen on " + s.haHost() + ":" + haPortToBind() + ": " + e.getMessage()
                    + " (expected: a free port; stop what uses it or change haPort in " + p.files().home().nodeJson() + ")";
            log.error("{}", why);
            throw new IllegalStateException(why, e);
        }
    }

    private int haPortToBind() {
        // once bound (port 0 = OS-chosen), keep the same port across role changes: the peer knows it
        return haPort != 0 ? haPort : p.files().settings().haPort();
    }

    private String advertisedHaAddress() {
        String host = p.files().settings().haHost();
        return (host.equals("0.0.0.0") ? "0.0.0.0" : host) + ":" + haPortToBind();
    }

    // ------------------------------------------------------------------ actions

    void connect(Role current) {
        ensure(current);
        if (shadow != null) {
            shadow.connect();
        }
    }

    void disconnect(String reason, Role current) {
        if (shadow != null) {
            shadow.disconnect(reason);
        }
        if (master != null && current != Role.SHADOW) {
            master.disconnectShadow(reason);
        }
    }

    void sendPromote(long newEpoch) {
        if (master != null) {
            master.sendPromote(newEpoch);
        }
    }

    /** Tells a connected shadow to step down; false when none is connected (the peer must be checked instead). */
    boolean sendDemote(long myEpoch) {
        MasterRole m = master;
        if (m == null || !m.shadowConnected()) {
            return false;
        }
        m.sendDemote(myEpoch, "node " + p.files().settings().nodeId() + " serves in epoch " + myEpoch);
        return true;
    }

    /** Completes with whether the shadow acknowledged {@code revision} within requestTimeout; false without a master. */
    CompletableFuture<Boolean> awaitAck(long revision) {
        MasterRole m = master;
        return m == null ? CompletableFuture.completedFuture(false)
                : m.awaitAck(revision, p.files().settings().requestTimeout());
    }

    /** Tells the pinned certificate (or none) to the shadow role. */
    void pinMaster(X509Certificate masterCert) {
        if (shadow != null) {
            shadow.pin(masterCert);
        }
    }

    // ------------------------------------------------------------------ queries (any thread)

    boolean shadowConnected() {
        MasterRole m = master;
        return m != null && m.shadowConnected();
    }

    long ackedRevision() {
        MasterRole m = master;
        return m == null ? 0 : m.ackedRevision();
    }

    int haPort() {
        return haPort;
    }

    void advertiseAdminPort(int port) {
        this.adminPort = port;
        MasterRole m = master;
        if (m != null) {
            m.advertiseAdminPort(port);
        }
    }

    long pushes() {
        MasterRole m = master;
        return m == null ? 0 : m.pushes();
    }

    long pushFailures() {
        MasterRole m = master;
        return m == null ? 0 : m.pushFailures();
    }

    MasterRole.SessionView shadowSession() {
        MasterRole m = master;
        return m == null ? null : m.sessionView();
    }

    /** The master's admin URL as its HELLO told this shadow, or null when not known. */
    String masterAdminUrl() {
        ShadowRole s = shadow;
        Integer port = s == null ? null : s.masterAdminPort();
        String peer = p.files().settings().peerAddress();
        return port == null || peer == null ? null : "https://" + peer.substring(0, peer.lastIndexOf(':')) + ":" + port + "/";
    }

    /** What this node knows of its peer: its role object's view, else what node.json says. */
    PeerView peer() {
        MasterRole m = master;
        ShadowRole s = shadow;
        PeerView v = m != null ? m.peer() : s != null ? s.peer() : PeerView.NONE;
        NodeSettings set = p.files().settings();
        return v.nodeId() == null && set.peerNodeId() != null
                ? new PeerView(set.peerNodeId(), set.peerAddress(), null, 0, 0, null, -1) : v;
    }
}
