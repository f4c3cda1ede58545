package dev.understudy.master;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverEvent.Failure;
import dev.understudy.ha.handshake.HaServerInitializer;
import dev.understudy.ha.handshake.PeerView;
import dev.understudy.ha.message.Bye;
import dev.understudy.ha.message.Demote;
import dev.understudy.ha.message.Promote;
import dev.understudy.ha.tls.PinnedTrustManager;
import dev.understudy.master.replication.ReplicationSession;
import dev.understudy.master.replication.ReplicationSource;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's side of the HA channel. Listens on the HA port; admits a shadow only after the TLS
 * handshake (pinned certificate, or pairing mode with the admin password checked once), then sends
 * deltas from the shadow's revision or a chunked full transfer, pushes every new revision, and
 * tracks acknowledgements. Connections from a peer that is itself a master are answered with this
 * node's HELLO, so split brains are detected. Observations become {@link FailoverEvent}s.
 */
public final class MasterRole implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MasterRole.class);
    static final int MAX_DELTA_REVISIONS = 1000;
    static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    /**
     * @param permittedShadowHost the only address a shadow may pair from; null for any
     */
    public record Settings(String nodeId, String bindHost, int haPort, Duration heartbeat, Duration takeover,
                           Duration request, PrivateKey key, X509Certificate cert, String permittedShadowHost) {}

    final Settings settings;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    final ConfigStore store;
    final AlertStore alerts;
    private final Clock clock;
    final LongSupplier epoch;
    final Supplier<String> state;
    final Consumer<FailoverEvent> events;
    final PairingAuthority pairing;
    final PushAlerts pushAlerts;
    private final Consumer<Head> storeListener = this::onCommitted;
    private final AtomicLong transfers = new AtomicLong();
    private final AckRegistry acks = new AckRegistry();
    private final ShadowSession.Context sessionContext;
    private Channel server;
    private volatile ShadowSession session;
    private volatile PeerView peer = PeerView.NONE;
    /** This node's admin port, told to the shadow in HELLO so it can point refused writes here (0: unknown). */
    private volatile int adminPort;
    /** The newest revision the last shadow session acknowledged (-1: none since this role started). */
    private volatile long lastAcked = -1;
    private volatile boolean closed;
    private final AtomicLong pushes = new AtomicLong();
    final HaAdmission admission = new HaAdmission();

    public MasterRole(Settings settings, EventLoopGroup boss, EventLoopGroup workers, ConfigStore store, AlertStore alerts,
                      Clock clock, LongSupplier epoch, Supplier<String> state, Consumer<FailoverEvent> events,
                      PairingAuthority pairing) {
        this.settings = settings;
        this.boss = boss;
        this.workers = workers;
        this.store = store;
        this.alerts = alerts;
        this.clock = clock;
        this.epoch = epoch;
        this.state = state;
        this.events = events;
        this.pairing = pairing;
        this.pushAlerts = new PushAlerts(alerts, clock);
        this.sessionContext = new ShadowSession.Context(ReplicationSource.of(store), new ReplicationSession.Settings(
                settings.heartbeat().toNanos(), settings.request().toNanos(), MAX_BACKOFF_NANOS, MAX_DELTA_REVISIONS),
                clock, epoch, state, events, alerts, pushAlerts, acks, p -> peer = p, this::peerName, pushes, transfers);
    }

    /** Binds the HA port; returns the port actually bound. */
    public int start() throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new HaServerInitializer(settings.key(), settings.cert(), settings.request(),
                        settings.takeover(), this::admit));
        server = b.bind(settings.bindHost(), settings.haPort()).sync().channel();
        store.addListener(storeListener);
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        log.info("HA channel listening on {}:{} ({})", settings.bindHost(), port,
                pairing.pinned() == null ? "not paired: accepting a shadow that authenticates with the admin password"
                        : "paired: accepting only the pinned shadow certificate");
        return port;
    }

    /** Before TLS: whether a new connection may proceed (pairing host, unauthenticated slots), and with which trust. */
    private HaServerInitializer.Admitted admit(SocketChannel ch) {
        X509Certificate pinned = pairing.pinned();
        String source = ch.remoteAddress().getAddress().getHostAddress();
        if (pinned == null && !pairingPermitted(ch.remoteAddress())) {
            log.warn("refused HA connection from {}: this master is not paired and permits pairing only"
                    + " from {} (permittedShadowHost in {})", source, settings.permittedShadowHost(), "node.json");
            return null;
        }
        if (!admission.tryAcquire(source)) {
            log.warn("refused HA connection from {}: too many connections that have not authenticated"
                    + " yet (at most {} per source, {} in all)", source, HaAdmission.PER_SOURCE, HaAdmission.TOTAL);
            return null;
        }
        PinnedTrustManager trust = pinned != null
                ? PinnedTrustManager.pinned(pinned, clock, r -> rejected(ch, r + PAIR_ONLY))
                : PinnedTrustManager.pairing(clock, r -> rejected(ch, r));
        return new HaServerInitializer.Admitted(trust, pinned != null, new InboundHandler(this, source, pinned != null));
    }

    boolean pairingPermitted(InetSocketAddress remote) {
        String permitted = settings.permittedShadowHost();
        return permitted == null || permitted.equals(remote.getAddress().getHostAddress())
                || permitted.equals(remote.getHostString());
    }

    /** Why a paired master refuses another node's certificate: without coordination a group is a pair (§5). */
    private static final String PAIR_ONLY = "; this master is paired, and without `coordination` in node.json a group"
            + " is a pair, so a second shadow is refused (set coordination on every node for a group of up to 7 on"
            + " ZooKeeper, or run `understudy detach` on the current shadow to replace it)";

    private void rejected(Channel ch, String reason) {
        String from = ch.remoteAddress() == null ? "?" : ((InetSocketAddress) ch.remoteAddress()).getHostString();
        log.warn("refused HA connection from {}: {}", from, reason);
        alerts.raise(Severity.ERROR, AlertCategory.PAIRING_REJECTED, "tls:" + from,
                "A node at " + from + " tried to connect to the HA port with a certificate that is not accepted: " + reason);
    }

    public PeerView peer() {
        return peer;
    }

    /** The admin port to tell a connecting shadow (its operator is pointed here when the shadow refuses a write). */
    public void advertiseAdminPort(int port) {
        this.adminPort = port;
    }

    /** Pushes sent since start (for metrics). */
    public long pushes() {
        return pushes.get();
    }

    /** Push failures since the last recovery (for metrics). */
    public long pushFailures() {
        return pushAlerts.failures();
    }

    /**
     * What an operator is shown of the shadow's session (as an HA screen shows it).
     *
     * @param connectedSinceMillis when the current session was admitted (-1: no shadow connected)
     * @param remoteHost           the address the shadow connects from, as this master sees it (null: none)
     * @param lastPushAckedMillis  when the shadow last acknowledged a pushed revision (-1: not since start)
     */
    public record SessionView(long connectedSinceMillis, String remoteHost, long lastPushAckedMillis) {}

    public SessionView sessionView() {
        ShadowSession s = session;
        boolean live = s != null && s.channel.isActive();
        return new SessionView(live ? s.connectedAtMillis : -1, live ? s.remoteHost : null, acks.lastAckedMillis());
    }

    /** Whether a shadow is connected. */
    public boolean shadowConnected() {
        ShadowSession s = session;
        return s != null && s.channel.isActive();
    }

    /**
     * Completes with true once the shadow acknowledged {@code revision}, false if it does not within
     * {@code timeout} or no shadow is connected.
     */
    public CompletableFuture<Boolean> awaitAck(long revision, Duration timeout) {
        ShadowSession s = session;
        if (s == null || !s.channel.isActive()) {
            return CompletableFuture.completedFuture(false);
        }
        CompletableFuture<Boolean> f = acks.register(revision, s::acked);
        if (!f.isDone()) {
            s.channel.eventLoop().schedule(() -> f.complete(false), timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        return f;
    }

    /** Planned switch: tells the shadow to serve in {@code newEpoch}. */
    public void sendPromote(long newEpoch) {
        ShadowSession s = session;
        if (s != null) {
            Head h = store.head();
            s.channel.writeAndFlush(new Promote(newEpoch, h.revision(), h.hash()));
        }
    }

    /** Closes the shadow's connection (detach). */
    public void disconnectShadow(String reason) {
        ShadowSession s = session;
        if (s != null) {
            s.channel.writeAndFlush(new Bye(epoch.getAsLong(), "DETACHED", reason)).addListener(x -> s.channel.close());
        }
    }

    /** The newest revision the shadow acknowledged (0 when none is connected). */
    public long ackedRevision() {
        ShadowSession s = session;
        return s == null ? 0 : s.acked();
    }

    /** Tells the connected peer (if any) to step down. */
    public void sendDemote(long myEpoch, String reason) {
        ShadowSession s = session;
        if (s != null) {
            s.channel.writeAndFlush(new Demote(myEpoch, reason));
        }
    }

    private void onCommitted(Head h) {
        ShadowSession s = session;
        if (s != null && s.channel.isActive()) {
            s.channel.eventLoop().execute(s::pump);
        } else if (pairing.pinned() != null && !closed) {
            pushAlerts.failed(peerName(), "the shadow is not connected, so " + PushAlerts.behind(lastAcked, h.revision())
                    + " committed while this master serves alone");
            events.accept(new FailoverEvent.PushFailed("shadow not connected"));
        }
    }

    private String peerName() {
        PeerView p = peer;
        return p.nodeId() == null ? "(paired shadow)" : p.nodeId() + (p.address() == null ? "" : " at " + p.address());
    }

    int adminPort() {
        return adminPort;
    }

    ShadowSession.Context sessionContext() {
        return sessionContext;
    }

    ShadowSession session() {
        return session;
    }

    /** {@code s} was admitted: the role's shadow from now on (the connection it replaced is being closed). */
    void session(ShadowSession s) {
        session = s;
    }

    /** The connection of {@code s} closed: if it was the current session, its writers fail and the machine learns. */
    void sessionEnded(ShadowSession s) {
        if (session != s) {
            return;
        }
        session = null;
        acks.failAll();
        lastAcked = s.acked();
        long head = store.head().revision();
        if (!closed && pairing.pinned() != null && s.acked() < head) {
            // the session ended before the shadow confirmed these: they are not on it
            pushAlerts.failed(peerName(), "the connection to the shadow ended before it acknowledged "
                    + PushAlerts.behind(s.acked(), head));
        }
        if (!closed) {
            log.warn("shadow {} disconnected", s.nodeId);
            events.accept(new FailoverEvent.ConnectionLost(Failure.CLOSED));
        }
    }

    @Override
    public void close() {
        closed = true;
        store.removeListener(storeListener);
        ShadowSession s = session;
        session = null;
        if (s != null) {
            s.channel.writeAndFlush(new Bye(epoch.getAsLong(), "SHUTDOWN", "master role stopped"))
                    .addListener(x -> s.channel.close());
        }
        acks.failAll();
        if (server != null) {
            server.close().syncUninterruptibly();
        }
    }

}
