package dev.understudy.master;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.Role;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.common.store.Revision;
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
import java.util.Optional;
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
    /** Full-transfer chunk size: small enough that the ack deadline sees progress often on a slow link. */
    static final int CHUNK_BYTES = 256 * 1024;
    /** Chunks written ahead of the one the socket is taking: keeps the link busy without queueing the snapshot. */
    static final int CHUNKS_IN_FLIGHT = 2;
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
    private volatile boolean closed;
    private final AtomicLong pushes = new AtomicLong();

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
                        PinnedTrustManager trust = pinned != null
                                ? PinnedTrustManager.pinned(pinned, clock, r -> rejected(ch, r))
                                : PinnedTrustManager.pairing(clock, r -> rejected(ch, r));
                        SslContext ctx = HaTls.forServer(settings.key(), settings.cert(), trust);
                        var ssl = ctx.newHandler(ch.alloc());
                        ssl.setHandshakeTimeoutMillis(settings.request().toMillis());
                        // pipeline order: ssl, idle, framing, codec, handler
                        ch.pipeline().addLast(HaPipeline.SSL, ssl);
                        ch.pipeline().addLast(HaPipeline.IDLE,
                                new IdleStateHandler(settings.takeover().toNanos(), 0, 0, TimeUnit.NANOSECONDS));
                        HaPipeline.addCodec(ch.pipeline());
                        ch.pipeline().addLast(HaPipeline.HANDLER, new Inbound());
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

    private void rejected(Channel ch, String reason) {
        String from = ch.remoteAddress() == null ? "?" : ((InetSocketAddress) ch.remoteAddress()).getHostString();
        log.warn("refused HA connection from {}: {}", from, reason);
        alerts.raise(Severity.ERROR, AlertCategory.PAIRING_REJECTED, "tls:" + from,
                "A node at " + from + " tried to connect to the HA port with a certificate that is not accepted: " + reason);
    }

    public PeerView peer() {
        return peer;
    }

    /** Pushes sent since start (for metrics). */
    public long pushes() {
        return pushes.get();
    }

    /** Push failures since the last recovery (for metrics). */
    public long pushFailures() {
        return pushAlerts.failures();
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
            if (s.acked >= revision) {
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
        return s == null ? 0 : s.acked;
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
            pushAlerts.failed(peerName(), "the shadow is not connected, so revision " + h.revision() + " was not replicated");
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

    /** One inbound connection: HELLO decides whether it is the shadow or a peer master checking on us. */
    private final class Inbound extends SimpleChannelInboundHandler<HaMessage> {
        private ShadowSession shadow;
        private ScheduledFuture<?> helloTimeout;
        private String peerNode;

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
                alerts.raise(Severity.ERROR, AlertCategory.VERSION_MISMATCH, "shadow", why);
                refuse(ctx, "VERSION_MISMATCH", why);
                return;
            }
            alerts.resolve(AlertCategory.VERSION_MISMATCH, "shadow");
            Head head = store.head();
            Hello mine = new Hello(settings.nodeId(), Role.MASTER.wireName(), state.get(), epoch.getAsLong(),
                    head.revision(), head.hash(), Versions.SOFTWARE, Versions.PROTOCOL, null, null, null);
            if (Role.MASTER.wireName().equals(h.role())) {
                // a peer master checking on us (restart check, or a healed partition)
                peerNode = h.nodeId();
                ctx.writeAndFlush(mine);
                events.accept(new FailoverEvent.PeerHeard(new PeerInfo(h.nodeId(), Role.MASTER, h.epoch(),
                        PeerView.isActive(h.state()), h.revision())));
                return;
            }
            X509Certificate cert = HaTls.peerCertificate(ctx.channel()).orElseThrow();
            if (h.password() != null) {
                if (settings.permittedShadowHost() != null && !settings.permittedShadowHost().equals(remoteHost)
                        && !settings.permittedShadowHost().equals(((InetSocketAddress) ctx.channel().remoteAddress()).getHostString())) {
                    pairingRefused(ctx, "HOST_NOT_PERMITTED", "shadow " + h.nodeId() + " connects from " + remoteHost
                            + " but this master only permits " + settings.permittedShadowHost()
                            + " (change permittedShadowHost in the master's node.json if the shadow moved)");
                    return;
                }
                // the password hash is deliberately slow: verify off the event loop, then continue on it
                char[] pw = h.password().toCharArray();
                CompletableFuture.supplyAsync(() -> {
                    try {
                        return h.user() != null && pairing.verify(h.user(), pw);
                    } finally {
                        Arrays.fill(pw, '\0');
                    }
                }).whenComplete((ok, err) -> ctx.executor().execute(() -> {
                    if (err != null || !ok) {
                        pairingRefused(ctx, "AUTH_FAILED", "shadow " + h.nodeId() + " from " + remoteHost
                                + " gave a wrong admin user or password (use the master's admin credentials with"
                                + " `understudy attach --user U --password-file F`)");
                        return;
                    }
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
            if (pairing.pinned() == null) {
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
            ctx.writeAndFlush(new Bye(epoch.getAsLong(), code, why)).addListener(x -> ctx.close());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent hs && !hs.isSuccess()) {
                // e.g. no client certificate at all: the JDK refuses before any trust manager is asked
                log.warn("refused HA connection from {}: TLS handshake failed: {}", ctx.channel().remoteAddress(),
                        hs.cause() == null ? "unknown" : hs.cause().getMessage());
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
            if (helloTimeout != null) {
                helloTimeout.cancel(false);
            }
            if (shadow != null) {
                shadow.stop();
                if (session == shadow) {
                    session = null;
                    completeWaiters(0, true, false);
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

    /** The connected shadow: pushes, acks, heartbeats, in-sync tracking, retries with backoff. */
    private final class ShadowSession {
        final Channel channel;
        final String nodeId;
        final String address;
        volatile long acked;
        long ackedHashRevision;
        long sent;
        boolean fullSyncInFlight;
        /** The full transfer being streamed, or the last one; only ever touched on the channel's event loop. */
        Transfer transfer;
        long oldestUnackedAt = -1;
        long backoffNanos;
        long retryAt = -1;
        long seq;
        Boolean lastInSync;
        ScheduledFuture<?> ticker;

        ShadowSession(Channel channel, Hello h, String address) {
            this.channel = channel;
            this.nodeId = h.nodeId();
            this.address = address;
            // the shadow's revision counts as acknowledged only when it is this master's history: a shadow
            // whose history diverged (a former master) must not make unreplicated writes look replicated
            boolean shared = store.hashAt(h.revision()).map(x -> x.equals(h.hash())).orElse(false);
            this.acked = shared ? h.revision() : 0;
            this.sent = this.acked;
            peer = new PeerView(h.nodeId(), address, h.state(), h.epoch(), h.revision(), h.hash(), clock.nanoTime());
        }

        void start(boolean pairingAttempt) {
            Head head = store.head();
            events.accept(new FailoverEvent.Connected(new PeerInfo(nodeId, Role.SHADOW, peer.epoch(), false, peer.revision())));
            long shadowRev = peer.revision();
            String shadowHash = peer.hash();
            if (pairingAttempt) {
                fullSync("pairing: a newly attached shadow always gets a full transfer");
            } else if (shadowRev == head.revision() && head.hash().equals(shadowHash)) {
                log.info("shadow {} is in sync at revision {}", nodeId, shadowRev);
                inSync(true);
                pushAlerts.caughtUp(peerName(), shadowRev);
            } else if (shadowRev > head.revision()) {
                fullSync("shadow is at revision " + shadowRev + ", ahead of this master's " + head.revision()
                        + ": its history diverged");
            } else {
                Optional<String> hashThen = store.hashAt(shadowRev);
                if (hashThen.isEmpty()) {
                    fullSync("the journal no longer holds revision " + shadowRev + " (oldest retained base: "
                            + store.oldestRetainedBase() + ")");
                } else if (!hashThen.get().equals(shadowHash)) {
                    fullSync("shadow's revision " + shadowRev + " has a different hash: its history diverged");
                } else {
                    log.info("shadow {} at revision {} catches up by deltas to {}", nodeId, shadowRev, head.revision());
                    pump();
                }
            }
            long every = settings.heartbeat().toNanos();
            ticker = channel.eventLoop().scheduleAtFixedRate(this::tick, every, every, TimeUnit.NANOSECONDS);
            channel.writeAndFlush(heartbeat());
        }

        void stop() {
            if (ticker != null) {
                ticker.cancel(false);
            }
        }

        Heartbeat heartbeat() {
            Head h = store.head();
            return new Heartbeat(epoch.getAsLong(), h.revision(), h.hash(), ++seq, Role.MASTER.wireName(), state.get());
        }

        void tick() {
            channel.writeAndFlush(heartbeat());
            long now = clock.nanoTime();
            if (oldestUnackedAt >= 0 && now - oldestUnackedAt > settings.request().toNanos() && retryAt < 0) {
                pushFailed(fullSyncInFlight
                        ? "full transfer of revision " + sent + " made no progress for " + settings.request().toMillis() + " ms"
                        : "revision " + sent + " not acknowledged within " + settings.request().toMillis() + " ms");
            } else if (fullSyncInFlight && transfer != null && retryAt < 0
                    && now - transfer.startedAt > settings.request().toNanos() * transfer.chunks) {
                // a shadow that keeps talking but never installs (stuck) must still read as a failed push
                pushFailed("full transfer of revision " + sent + " not acknowledged within "
                        + settings.request().toMillis() * transfer.chunks + " ms (requestTimeout per chunk)");
            }
            if (retryAt >= 0 && now >= retryAt) {
                retryAt = -1;
                sent = acked;
                oldestUnackedAt = -1;
                pump();
            }
        }

        void pushFailed(String what) {
            pushAlerts.failed(peerName(), what);
            events.accept(new FailoverEvent.PushFailed(what));
            backoffNanos = backoffNanos == 0 ? settings.heartbeat().toNanos() : Math.min(backoffNanos * 2, MAX_BACKOFF_NANOS);
            retryAt = clock.nanoTime() + backoffNanos;
            inSync(false);
        }

        /** Sends every revision after {@code sent}, in batches; falls back to a full transfer. */
        void pump() {
            if (fullSyncInFlight || !channel.isActive() || retryAt >= 0) {
                return;
            }
            Head head = store.head();
            if (head.revision() <= sent) {
                return;
            }
            Optional<List<Revision>> changes = store.changesSince(sent);
            if (changes.isEmpty()) {
                fullSync("the shadow fell behind the journal's retention (at revision " + sent + ")");
                return;
            }
            List<Revision> all = changes.get();
            long base = sent;
            String baseHash = store.hashAt(base).orElse(null);
            if (baseHash == null) {
                fullSync("the journal no longer holds revision " + base);
                return;
            }
            for (int i = 0; i < all.size(); i += MAX_DELTA_REVISIONS) {
                List<Revision> batch = all.subList(i, Math.min(all.size(), i + MAX_DELTA_REVISIONS));
                channel.write(new Delta(epoch.getAsLong(), base, baseHash, batch));
                Revision last = batch.get(batch.size() - 1);
                base = last.revision();
                baseHash = last.hash();
                pushes.incrementAndGet();
            }
            channel.flush();
            sent = base;
            if (oldestUnackedAt < 0) {
                oldestUnackedAt = clock.nanoTime();
            }
        }

        /**
         * Starts a full transfer of the current snapshot. Its chunks are streamed, {@link #CHUNKS_IN_FLIGHT}
         * at a time, each written when an earlier one has left for the socket: the outbound buffer never holds
         * the whole snapshot, and heartbeats interleave with the chunks.
         */
        void fullSync(String reason) {
            var snap = store.snapshot();
            byte[] bytes = Json.toBytes(snap.document().toJson());
            int chunks = Math.max(1, (bytes.length + CHUNK_BYTES - 1) / CHUNK_BYTES);
            long id = transfers.incrementAndGet();
            log.info("full transfer {} to shadow {}: revision {}, {} bytes in {} chunks ({})", id, nodeId,
                    snap.revision(), bytes.length, chunks, reason);
            transfer = new Transfer(id, snap.revision(), snap.hash(), reason, bytes, chunks, clock.nanoTime());
            pushes.incrementAndGet();
            fullSyncInFlight = true;
            sent = snap.revision();
            oldestUnackedAt = clock.nanoTime();
            inSync(false);
            for (int i = 0; i < CHUNKS_IN_FLIGHT; i++) {
                writeNextChunk(transfer);
            }
        }

        /**
         * Writes the next chunk of {@code t} if it is still the transfer in flight. The ack deadline counts
         * from the transfer's last progress: each chunk that leaves for the shadow restarts it, and so does each
         * heartbeat of the shadow while it receives and installs (socket buffers hide how far it has read). A
         * transfer that progresses is not a failed push; one that stalls for requestTimeout is, and so is one
         * not acknowledged within requestTimeout per chunk in all.
         */
        private void writeNextChunk(Transfer t) {
            if (t != transfer || !fullSyncInFlight || t.next >= t.chunks || !channel.isActive()) {
                return;
            }
            int c = t.next++;
            int from = c * CHUNK_BYTES;
            byte[] data = Arrays.copyOfRange(t.bytes, from, Math.min(t.bytes.length, from + CHUNK_BYTES));
            if (t.next == t.chunks) {
                t.bytes = null; // every chunk is in the channel now: the snapshot bytes are not needed any more
            }
            channel.writeAndFlush(new FullSync(epoch.getAsLong(), t.id, t.revision, t.hash, c, t.chunks, t.totalBytes,
                    t.reason, data)).addListener(f -> {
                        if (f.isSuccess() && t == transfer && fullSyncInFlight) {
                            oldestUnackedAt = clock.nanoTime();
                            writeNextChunk(t);
                        }
                    });
        }

        void onMessage(HaMessage msg) {
            long now = clock.nanoTime();
            if (msg instanceof Ack a) {
                heard(a.epoch(), peer.state(), a.revision(), a.hash(), now);
                boolean wasFull = fullSyncInFlight;
                fullSyncInFlight = false;
                acked = Math.max(acked, a.revision());
                completeWaiters(acked, false, true);
                backoffNanos = 0;
                Head head = store.head();
                if (acked >= sent) {
                    oldestUnackedAt = -1;
                } else {
                    oldestUnackedAt = now;
                }
                String expected = store.hashAt(a.revision()).orElse(null);
                if (expected != null && !expected.equals(a.hash())) {
                    inconsistent(a.revision(), a.hash(), expected);
                    return;
                }
                if (acked >= sent) {
                    // everything pushed so far is acknowledged: in sync, even under a steady write load
                    pushAlerts.caughtUp(peerName(), acked);
                    inSync(true);
                }
                if (wasFull || acked < head.revision()) {
                    pump();
                }
            } else if (msg instanceof Nack n) {
                heard(n.epoch(), peer.state(), n.revision(), n.hash(), now);
                fullSyncInFlight = false;
                pushAlerts.failed(peerName(), "the shadow refused the push: " + n.reason());
                events.accept(new FailoverEvent.PushFailed(n.reason()));
                if (n.needFull()) {
                    fullSync("the shadow asked for it: " + n.reason());
                }
            } else if (msg instanceof Heartbeat hb) {
                heard(hb.epoch(), hb.state(), hb.revision(), hb.hash(), now);
                events.accept(new FailoverEvent.PeerHeard(new PeerInfo(nodeId, Role.SHADOW, hb.epoch(),
                        PeerView.isActive(hb.state()), hb.revision())));
                Head head = store.head();
                if (fullSyncInFlight) {
                    // the shadow still reports its old state until the transfer is installed; that it talks
                    // while receiving and installing is the transfer's progress (see writeNextChunk)
                    oldestUnackedAt = now;
                    return;
                }
                if (hb.revision() == head.revision()) {
                    if (!hb.hash().equals(head.hash())) {
                        inconsistent(hb.revision(), hb.hash(), head.hash());
                    } else {
                        alerts.resolve(AlertCategory.CONFIG_INCONSISTENT, "shadow");
                        pushAlerts.caughtUp(peerName(), hb.revision());
                        inSync(true);
                    }
                }
            } else if (msg instanceof Demote d) {
                events.accept(new FailoverEvent.DemoteReceived(d.epoch(), nodeId));
            } else if (msg instanceof Bye bye) {
                log.info("shadow {} closes the HA connection: {} ({})", nodeId, bye.reason(), bye.code());
                channel.close();
            } else if (msg instanceof Hello) {
                log.warn("closing HA connection from shadow {}: a second HELLO", nodeId);
                channel.close();
            }
        }

        private void inconsistent(long revision, String theirs, String ours) {
            alerts.raise(Severity.ERROR, AlertCategory.CONFIG_INCONSISTENT, "shadow",
                    "Shadow " + nodeId + " has a different configuration at revision " + revision + " (hash "
                            + shorten(theirs) + ", master " + shorten(ours) + "); a full resync was started and repairs"
                            + " it automatically. If this recurs, check the shadow's disk.");
            inSync(false);
            if (!fullSyncInFlight) {
                fullSync("config hash mismatch at revision " + revision);
            }
        }

        private void heard(long e, String st, long rev, String hash, long now) {
            peer = new PeerView(nodeId, address, st, e, rev, hash, now);
        }

        private void inSync(boolean now) {
            if (lastInSync == null || lastInSync != now) {
                lastInSync = now;
                events.accept(new FailoverEvent.SyncProgress(now));
            }
        }
    }

    /** One full transfer's snapshot bytes and where its stream stands. */
    private static final class Transfer {
        final long id;
        final long revision;
        final String hash;
        final String reason;
        final int chunks;
        final long totalBytes;
        final long startedAt;
        byte[] bytes;
        int next;

        Transfer(long id, long revision, String hash, String reason, byte[] bytes, int chunks, long startedAt) {
            this.id = id;
            this.revision = revision;
            this.hash = hash;
            this.reason = reason;
            this.bytes = bytes;
            this.chunks = chunks;
            this.totalBytes = bytes.length;
            this.startedAt = startedAt;
        }
    }

    static String shorten(String h) {
        return h == null ? "null" : h.length() > 12 ? h.substring(0, 12) : h;
    }



}
