package dev.understudy.master;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.ha.codec.HaFrameDecoder;
import dev.understudy.ha.codec.HaPipeline;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverEvent.Failure;
import dev.understudy.ha.failover.PeerInfo;
import dev.understudy.ha.handshake.PeerView;
import dev.understudy.ha.handshake.VersionPolicy;
import dev.understudy.ha.handshake.Versions;
import dev.understudy.ha.message.Ack;
import dev.understudy.ha.message.Bye;
import dev.understudy.ha.message.Delta;
import dev.understudy.ha.message.Demote;
import dev.understudy.ha.message.FullSync;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Heartbeat;
import dev.understudy.ha.message.Hello;
import dev.understudy.ha.message.Nack;
import dev.understudy.ha.message.Promote;
import dev.understudy.ha.tls.HaTls;
import dev.understudy.ha.tls.PinnedTrustManager;
import dev.understudy.master.replication.FullTransfer;
import dev.understudy.master.replication.ReplicationAction;
import dev.understudy.master.replication.ReplicationSession;
import dev.understudy.master.replication.ReplicationSource;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
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
    static final int CHUNK_BYTES = FullTransfer.CHUNK_BYTES;
    static final int MAX_DELTA_REVISIONS = 1000;
    static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    /**
     * @param permittedShadowHost the only address a shadow may pair from; null for any
     */
    public record Settings(String nodeId, String bindHost, int haPort, Duration heartbeat, Duration takeover,
                           Duration request, PrivateKey key, X509Certificate cert, String permittedShadowHost) {}

    private final Settings settings;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ConfigStore store;
    private final AlertStore alerts;
    private final Clock clock;
    private final LongSupplier epoch;
    private final Supplier<String> state;
    private final Consumer<FailoverEvent> events;
    private final PairingAuthority pairing;
    private final PushAlerts pushAlerts;
    private final Consumer<Head> storeListener = this::onCommitted;
    private final AtomicLong transfers = new AtomicLong();
    private final TreeMap<Long, List<CompletableFuture<Boolean>>> waiters = new TreeMap<>();
    private Channel server;
    private volatile ShadowSession session;
    private volatile PeerView peer = PeerView.NONE;
    /** This node's admin port, told to the shadow in HELLO so it can point refused writes here (0: unknown). */
    private volatile int adminPort;
    /** Wall-clock time of the last ack that advanced the shadow's revision (-1: none since this role started). */
    private volatile long lastPushAckedMillis = -1;
    /** The newest revision the last shadow session acknowledged (-1: none since this role started). */
    private volatile long lastAcked = -1;
    private volatile boolean closed;
    private final AtomicLong pushes = new AtomicLong();
    private final HaAdmission admission = new HaAdmission();

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
    }

    /** Binds the HA port; returns the port actually bound. */
    public int start() throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) throws SSLException {
                        X509Certificate pinned = pairing.pinned();
                        String source = ch.remoteAddress().getAddress().getHostAddress();
                        if (pinned == null && !pairingPermitted(ch.remoteAddress())) {
                            // closed before TLS: a host that may not pair learns nothing and sends nothing
                            log.warn("refused HA connection from {}: this master is not paired and permits pairing only"
                                    + " from {} (permittedShadowHost in {})", source, settings.permittedShadowHost(),
                                    "node.json");
                            ch.close();
                            return;
                        }
                        if (!admission.tryAcquire(source)) {
                            log.warn("refused HA connection from {}: too many connections that have not authenticated"
                                    + " yet (at most {} per source, {} in all)", source, HaAdmission.PER_SOURCE,
                                    HaAdmission.TOTAL);
                            ch.close();
                            return;
                        }
                        PinnedTrustManager trust = pinned != null
                                ? PinnedTrustManager.pinned(pinned, clock, r -> rejected(ch, r + PAIR_ONLY))
                                : PinnedTrustManager.pairing(clock, r -> rejected(ch, r));
                        SslContext ctx = HaTls.forServer(settings.key(), settings.cert(), trust);
                        var ssl = ctx.newHandler(ch.alloc());
                        ssl.setHandshakeTimeoutMillis(settings.request().toMillis());
                        // pipeline order: ssl, idle, framing, codec, handler
                        ch.pipeline().addLast(HaPipeline.SSL, ssl);
                        ch.pipeline().addLast(HaPipeline.IDLE,
                                new IdleStateHandler(settings.takeover().toNanos(), 0, 0, TimeUnit.NANOSECONDS));
                        // a stranger (no pinned certificate yet) may send only small frames until it authenticated
                        HaPipeline.addCodec(ch.pipeline(), pinned != null ? HaFrameDecoder.DEFAULT_MAX_FRAME
                                : HaFrameDecoder.UNAUTHENTICATED_MAX_FRAME);
                        ch.pipeline().addLast(HaPipeline.HANDLER, new Inbound(source, pinned != null));
                    }
                });
        server = b.bind(settings.bindHost(), settings.haPort()).sync().channel();
        store.addListener(storeListener);
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        log.info("HA channel listening on {}:{} ({})", settings.bindHost(), port,
                pairing.pinned() == null ? "not paired: accepting a shadow that authenticates with the admin password"
                        : "paired: accepting only the pinned shadow certificate");
        return port;
    }

    private boolean pairingPermitted(InetSocketAddress remote) {
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
        return new SessionView(live ? s.connectedAtMillis : -1, live ? s.remoteHost : null, lastPushAckedMillis);
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
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        if (s == null || !s.channel.isActive()) {
            f.complete(false);
            return f;
        }
        synchronized (waiters) {
            if (s.acked() >= revision) {
                f.complete(true);
                return f;
            }
            waiters.computeIfAbsent(revision, k -> new ArrayList<>()).add(f);
        }
        s.channel.eventLoop().schedule(() -> f.complete(false), timeout.toNanos(), TimeUnit.NANOSECONDS);
        return f;
    }

    private void completeWaiters(long acked, boolean all, boolean value) {
        List<CompletableFuture<Boolean>> done = new ArrayList<>();
        synchronized (waiters) {
            var head = all ? waiters : waiters.headMap(acked, true);
            head.values().forEach(done::addAll);
            head.clear();
        }
        done.forEach(f -> f.complete(value));
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
        completeWaiters(0, true, false);
        if (server != null) {
            server.close().syncUninterruptibly();
        }
    }

    /**
     * One inbound connection. Admission before meaning: until the peer is authenticated — by the TLS
     * handshake when this master has a pinned peer certificate, else by a correct pairing password —
     * nothing it sends reaches the failover machine, the epoch, the alerts or state.json, and it is told
     * nothing but a BYE with the reason. Once authenticated, HELLO decides whether it is the shadow or
     * a peer master checking on us.
     */
    private final class Inbound extends SimpleChannelInboundHandler<HaMessage> {
        private final String source;
        /** The TLS trust of this connection accepts only the pinned peer: a completed handshake authenticates. */
        private final boolean pinnedTrust;
        private boolean authenticated;
        private boolean holdsSlot = true;
        private boolean pairingInFlight;
        private ShadowSession shadow;
        private ScheduledFuture<?> helloTimeout;
        private String peerNode;

        Inbound(String source, boolean pinnedTrust) {
            this.source = source;
            this.pinnedTrust = pinnedTrust;
        }

        private void authenticate(ChannelHandlerContext ctx) {
            authenticated = true;
            releaseSlot();
            ((HaFrameDecoder) ctx.pipeline().get(HaPipeline.FRAMING)).maxFrame(HaFrameDecoder.DEFAULT_MAX_FRAME);
        }

        private void releaseSlot() {
            if (holdsSlot) {
                holdsSlot = false;
                admission.release(source);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            helloTimeout = ctx.executor().schedule(() -> {
                log.warn("closing HA connection from {}: no HELLO within {} ms", ctx.channel().remoteAddress(),
                        settings.request().toMillis());
                ctx.close();
            }, settings.request().toMillis() + settings.takeover().toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HaMessage msg) throws Exception {
            if (shadow != null) {
                shadow.onMessage(msg);
                return;
            }
            if (pairingInFlight) {
                return; // nothing counts until the password check answered
            }
            if (!authenticated && !(msg instanceof Hello)) {
                refuse(ctx, "NOT_PAIRED", msg.type() + " from a peer that has not authenticated; pair first with"
                        + " `understudy attach` on the shadow");
                return;
            }
            if (!(msg instanceof Hello h)) {
                if (msg instanceof Demote d && peerNode != null) {
                    events.accept(new FailoverEvent.DemoteReceived(d.epoch(), peerNode));
                } else if (!(msg instanceof Bye) && !(msg instanceof Heartbeat)) {
                    log.warn("closing HA connection from {}: {} before HELLO", ctx.channel().remoteAddress(), msg.type());
                    ctx.close();
                }
                return;
            }
            helloTimeout.cancel(false);
            onHello(ctx, h);
        }

        private void onHello(ChannelHandlerContext ctx, Hello h) throws Exception {
            String remoteHost = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress().getHostAddress();
            VersionPolicy.Decision versions = VersionPolicy.check(h.softwareVersion(), h.protocolVersion());
            if (!versions.accepted()) {
                String why = versions.reason();
                if (authenticated) {
                    alerts.raise(Severity.ERROR, AlertCategory.VERSION_MISMATCH, "shadow", why);
                }
                refuse(ctx, "VERSION_MISMATCH", why);
                return;
            }
            if (authenticated) {
                alerts.resolve(AlertCategory.VERSION_MISMATCH, "shadow");
            }
            Head head = store.head();
            Hello mine = new Hello(settings.nodeId(), Role.MASTER.wireName(), state.get(), epoch.getAsLong(),
                    head.revision(), head.hash(), Versions.SOFTWARE, Versions.PROTOCOL, null, null, null,
                    adminPort > 0 ? adminPort : null);
            if (Role.MASTER.wireName().equals(h.role())) {
                if (!authenticated) {
                    // a stranger claiming to be a master must not make this one step down (or learn its epoch)
                    refuse(ctx, "NOT_PAIRED", "this master is not paired with that node; pair with `understudy attach`");
                    return;
                }
                // a peer master checking on us (restart check, or a healed partition)
                peerNode = h.nodeId();
                ctx.writeAndFlush(mine);
                events.accept(new FailoverEvent.PeerHeard(new PeerInfo(h.nodeId(), Role.MASTER, h.epoch(),
                        PeerView.isActive(h.state()), h.revision())));
                return;
            }
            X509Certificate cert = HaTls.peerCertificate(ctx.channel()).orElseThrow();
            if (h.password() != null) {
                if (!pairingPermitted((InetSocketAddress) ctx.channel().remoteAddress())) {
                    pairingRefused(ctx, "HOST_NOT_PERMITTED", "shadow " + h.nodeId() + " connects from " + remoteHost
                            + " but this master only permits " + settings.permittedShadowHost()
                            + " (change permittedShadowHost in the master's node.json if the shadow moved)");
                    return;
                }
                // the password hash is deliberately slow: verify off the event loop, then continue on it
                pairingInFlight = true;
                char[] pw = h.password().toCharArray();
                CompletableFuture.supplyAsync(() -> {
                    try {
                        return h.user() == null ? PairingAuthority.Verdict.DENIED : pairing.verify(h.user(), pw, remoteHost);
                    } finally {
                        Arrays.fill(pw, '\0');
                    }
                }).whenComplete((verdict, err) -> ctx.executor().execute(() -> {
                    pairingInFlight = false;
                    if (err == null && verdict.throttled()) {
                        // the login guard logged it and keeps AUTH_FAILURES open; no alert per refusal
                        refuse(ctx, "AUTH_THROTTLED", "shadow " + h.nodeId() + " from " + remoteHost
                                + " was refused without checking its password: too many failed logins from that address"
                                + " (wait " + verdict.retryAfterSeconds() + " s, then run `understudy attach` again with"
                                + " the master's admin credentials)");
                        return;
                    }
                    if (err != null || !verdict.accepted()) {
                        pairingRefused(ctx, "AUTH_FAILED", "shadow " + h.nodeId() + " from " + remoteHost
                                + " gave a wrong admin user or password (use the master's admin credentials with"
                                + " `understudy attach --user U --password-file F`)");
                        return;
                    }
                    authenticate(ctx);
                    try {
                        String haAddress = advertised(remoteHost, h.haAddress());
                        pairing.pin(cert, h.nodeId(), haAddress);
                        alerts.resolve(AlertCategory.PAIRING_REJECTED, null);
                        log.info("paired with shadow {} at {}; its certificate is pinned", h.nodeId(), haAddress);
                        admit(ctx, h, mine, remoteHost, true);
                    } catch (Exception e) {
                        log.error("cannot record the pairing with shadow {}: {}", h.nodeId(), e.getMessage());
                        refuse(ctx, "PAIRING_FAILED", "the master could not record the pairing: " + e.getMessage());
                    }
                }));
                return;
            }
            if (!authenticated) {
                refuse(ctx, "NOT_PAIRED", "this master is not paired with a shadow; run `understudy attach` on the shadow");
                return;
            }
            admit(ctx, h, mine, remoteHost, false);
        }

        private void admit(ChannelHandlerContext ctx, Hello h, Hello mine, String remoteHost, boolean pairingAttempt) {
            ShadowSession old = session;
            if (old != null && old.channel != ctx.channel()) {
                old.channel.writeAndFlush(new Bye(epoch.getAsLong(), "REPLACED", "a newer connection from the shadow replaced this one"))
                        .addListener(x -> old.channel.close());
            }
            if (!ctx.channel().isActive()) {
                return;
            }
            ctx.writeAndFlush(mine);
            shadow = new ShadowSession(ctx.channel(), h, advertised(remoteHost, h.haAddress()));
            session = shadow;
            shadow.start(pairingAttempt);
        }

        private void pairingRefused(ChannelHandlerContext ctx, String code, String why) {
            alerts.raise(Severity.ERROR, AlertCategory.PAIRING_REJECTED, code, "Pairing refused: " + why);
            refuse(ctx, code, why);
        }

        private void refuse(ChannelHandlerContext ctx, String code, String why) {
            log.warn("refusing HA connection from {}: {}", ctx.channel().remoteAddress(), why);
            // an unauthenticated peer is told the reason, not this node's epoch
            ctx.writeAndFlush(new Bye(authenticated ? epoch.getAsLong() : 0, code, why)).addListener(x -> ctx.close());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent hs) {
                if (!hs.isSuccess()) {
                    // e.g. no client certificate at all: the JDK refuses before any trust manager is asked
                    log.warn("refused HA connection from {}: TLS handshake failed: {}", ctx.channel().remoteAddress(),
                            hs.cause() == null ? "unknown" : hs.cause().getMessage());
                } else if (pinnedTrust) {
                    authenticate(ctx); // the trust manager accepted exactly the pinned peer certificate
                }
                return;
            }
            // silence counts once a session is admitted; before that (TLS handshake, HELLO, the deliberately slow
            // password check of a pairing) the hello timeout bounds the wait, which a slow start must not undercut
            if (evt instanceof IdleStateEvent && (shadow != null || peerNode != null)) {
                log.warn("closing HA connection from {}: silent for {} ms", ctx.channel().remoteAddress(),
                        settings.takeover().toMillis());
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            releaseSlot();
            if (helloTimeout != null) {
                helloTimeout.cancel(false);
            }
            if (shadow != null) {
                shadow.stop();
                if (session == shadow) {
                    session = null;
                    completeWaiters(0, true, false);
                    lastAcked = shadow.acked();
                    long head = store.head().revision();
                    if (!closed && pairing.pinned() != null && shadow.acked() < head) {
                        // the session ended before the shadow confirmed these: they are not on it
                        pushAlerts.failed(peerName(), "the connection to the shadow ended before it acknowledged "
                                + PushAlerts.behind(shadow.acked(), head));
                    }
                    if (!closed) {
                        log.warn("shadow {} disconnected", shadow.nodeId);
                        events.accept(new FailoverEvent.ConnectionLost(Failure.CLOSED));
                    }
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HA connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    private static String advertised(String remoteHost, String haAddress) {
        if (haAddress == null) {
            return null;
        }
        int i = haAddress.lastIndexOf(':');
        String host = haAddress.substring(0, i);
        // a wildcard bind address is not reachable: use the address the shadow connected from
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.isBlank()) {
            host = remoteHost.indexOf(':') >= 0 ? "[" + remoteHost + "]" : remoteHost;
        }
        return host + haAddress.substring(i);
    }

    /**
     * The connected shadow: a thin adapter over {@link ReplicationSession}, which decides what to push, when a
     * push failed, when the shadow is in sync; this class carries out its actions on the channel.
     */
    private final class ShadowSession {
        final Channel channel;
        final String nodeId;
        final String address;
        final long connectedAtMillis = clock.currentTimeMillis();
        final String remoteHost;
        final ReplicationSession core;
        ScheduledFuture<?> ticker;

        ShadowSession(Channel channel, Hello h, String address) {
            this.channel = channel;
            this.nodeId = h.nodeId();
            this.address = address;
            this.remoteHost = channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : null;
            this.core = new ReplicationSession(ReplicationSource.of(store), new ReplicationSession.Settings(
                    settings.heartbeat().toNanos(), settings.request().toNanos(), MAX_BACKOFF_NANOS, MAX_DELTA_REVISIONS),
                    h.nodeId(), h.revision(), h.hash());
            peer = new PeerView(h.nodeId(), address, h.state(), h.epoch(), h.revision(), h.hash(), clock.nanoTime());
        }

        long acked() {
            return core.acked();
        }

        void start(boolean pairingAttempt) {
            events.accept(new FailoverEvent.Connected(new PeerInfo(nodeId, Role.SHADOW, peer.epoch(), false, peer.revision())));
            perform(core.start(pairingAttempt, epoch.getAsLong(), state.get(), clock.nanoTime()));
            long every = settings.heartbeat().toNanos();
            ticker = channel.eventLoop().scheduleAtFixedRate(this::tick, every, every, TimeUnit.NANOSECONDS);
        }

        void stop() {
            if (ticker != null) {
                ticker.cancel(false);
            }
        }

        void tick() {
            perform(core.tick(epoch.getAsLong(), state.get(), clock.nanoTime()));
        }

        void pump() {
            if (channel.isActive()) {
                perform(core.committed(epoch.getAsLong(), clock.nanoTime()));
            }
        }

        void onMessage(HaMessage msg) {
            long now = clock.nanoTime();
            if (msg instanceof Ack a) {
                heard(a.epoch(), peer.state(), a.revision(), a.hash(), now);
            } else if (msg instanceof Nack n) {
                heard(n.epoch(), peer.state(), n.revision(), n.hash(), now);
            } else if (msg instanceof Heartbeat hb) {
                heard(hb.epoch(), hb.state(), hb.revision(), hb.hash(), now);
                events.accept(new FailoverEvent.PeerHeard(new PeerInfo(nodeId, Role.SHADOW, hb.epoch(),
                        PeerView.isActive(hb.state()), hb.revision())));
            } else if (msg instanceof Demote d) {
                events.accept(new FailoverEvent.DemoteReceived(d.epoch(), nodeId));
                return;
            } else if (msg instanceof Bye bye) {
                log.info("shadow {} closes the HA connection: {} ({})", nodeId, bye.reason(), bye.code());
                channel.close();
                return;
            } else if (msg instanceof Hello) {
                log.warn("closing HA connection from shadow {}: a second HELLO", nodeId);
                channel.close();
                return;
            }
            perform(core.received(msg, epoch.getAsLong(), now));
        }

        private void perform(List<ReplicationAction> actions) {
            boolean written = false;
            for (ReplicationAction a : actions) {
                if (a instanceof ReplicationAction.Send x) {
                    channel.write(x.message());
                    written = true;
                    if (x.message() instanceof Delta) {
                        pushes.incrementAndGet();
                    }
                } else if (a instanceof ReplicationAction.SendFullSync x) {
                    long id = transfers.incrementAndGet();
                    List<FullSync> chunks = FullTransfer.chunks(epoch.getAsLong(), id, x.snapshot(), x.reason(), CHUNK_BYTES);
                    log.info("full transfer {} to shadow {}: revision {}, {} bytes in {} chunks ({})", id, nodeId,
                            x.snapshot().revision(), chunks.get(0).totalBytes(), chunks.size(), x.reason());
                    chunks.forEach(channel::write);
                    written = true;
                    pushes.incrementAndGet();
                } else if (a instanceof ReplicationAction.PushFailed x) {
                    pushAlerts.failed(peerName(), x.what());
                    events.accept(new FailoverEvent.PushFailed(x.what()));
                } else if (a instanceof ReplicationAction.CaughtUp x) {
                    pushAlerts.caughtUp(peerName(), x.revision());
                } else if (a instanceof ReplicationAction.InSyncChanged x) {
                    if (x.inSync()) {
                        log.info("shadow {} is in sync at revision {}", nodeId, core.acked());
                    }
                    events.accept(new FailoverEvent.SyncProgress(x.inSync()));
                } else if (a instanceof ReplicationAction.AckedUpTo x) {
                    lastPushAckedMillis = clock.currentTimeMillis();
                    completeWaiters(x.revision(), false, true);
                } else if (a instanceof ReplicationAction.RaiseAlert x) {
                    alerts.raise(x.severity(), x.category(), x.key(), x.message());
                } else if (a instanceof ReplicationAction.ResolveAlert x) {
                    alerts.resolve(x.category(), x.key());
                }
            }
            if (written) {
                channel.flush();
            }
        }

        private void heard(long e, String st, long rev, String hash, long now) {
            peer = new PeerView(nodeId, address, st, e, rev, hash, now);
        }
    }
}
