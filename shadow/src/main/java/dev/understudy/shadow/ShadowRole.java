package dev.understudy.shadow;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.Head;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverEvent.Failure;
import dev.understudy.ha.failover.PeerInfo;
import dev.understudy.ha.handshake.HaConnections;
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
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shadow's side of the HA channel: one TLS connection to the master, HELLO, heartbeats every
 * heartbeatInterval, pushes applied through {@link ShadowReplica}. Everything it observes becomes a
 * {@link FailoverEvent}; it never decides a failover itself.
 */
public final class ShadowRole implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ShadowRole.class);
    static final long PAIRING_HELLO_TIMEOUT_MS = 15_000;

    /**
     * What the shadow needs to reach its master.
     *
     * @param advertisedHaAddress where this node's HA port can be reached, sent in HELLO for role switches
     * @param pinnedMaster        the master's pinned certificate; null only while pairing
     */
    public record Settings(String nodeId, HostPort master, String advertisedHaAddress, Duration heartbeat,
                           Duration connectTimeout, PrivateKey key, X509Certificate cert, X509Certificate pinnedMaster) {}

    /** Pairing: credentials for the master and the fingerprint the operator expects (or null). */
    public record Pairing(String user, String password, String expectedFingerprint) {}

    /** Result of a successful pairing handshake. */
    public record Paired(X509Certificate masterCert, Hello masterHello) {}

    private final Settings settings;
    private final EventLoopGroup group;
    private final ShadowReplica replica;
    private final Clock clock;
    private final LongSupplier epoch;
    private final Supplier<String> state;
    private final Consumer<FailoverEvent> events;
    private final AlertStore alerts;
    private final AtomicLong generation = new AtomicLong();
    private final AtomicReference<Channel> channel = new AtomicReference<>();
    private volatile PeerView peer = PeerView.NONE;
    private volatile Integer masterAdminPort;
    private volatile X509Certificate pinnedMaster;
    private final java.util.concurrent.ExecutorService installer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "full-transfer-install");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    public ShadowRole(Settings settings, EventLoopGroup group, ShadowReplica replica, Clock clock, LongSupplier epoch,
                      Supplier<String> state, Consumer<FailoverEvent> events, AlertStore alerts) {
        this.settings = settings;
        this.group = group;
        this.replica = replica;
        this.clock = clock;
        this.epoch = epoch;
        this.state = state;
        this.events = events;
        this.alerts = alerts;
        this.pinnedMaster = settings.pinnedMaster();
    }

    /** Pins the master's certificate (after pairing): later connections accept only it. */
    public void pin(X509Certificate masterCert) {
        this.pinnedMaster = masterCert;
    }

    public PeerView peer() {
        return peer;
    }

    /** The master's admin port as its last HELLO told it, or null (not heard, or a master that does not say). */
    public Integer masterAdminPort() {
        return masterAdminPort;
    }

    public ShadowReplica replica() {
        return replica;
    }

    /**
     * One connection attempt with the pinned master certificate; the outcome arrives as an event.
     * Does nothing while a connection is open (e.g. the one that just paired).
     */
    public void connect() {
        if (closed) {
            return;
        }
        Channel c = channel.get();
        if (c != null && c.isActive()) {
            return;
        }
        if (pinnedMaster == null) {
            throw new IllegalStateException("not paired: attach this shadow to a master first");
        }
        open(null, null);
    }

    /**
     * Pairs with the master: connects trusting any valid certificate, checks the expected fingerprint,
     * authenticates once with the master's admin credentials. Completes with the master's
     * certificate once the master accepted; the password is not kept.
     */
    public CompletableFuture<Paired> pair(Pairing pairing) {
        CompletableFuture<Paired> result = new CompletableFuture<>();
        open(pairing, result);
        return result;
    }

    private void open(Pairing pairing, CompletableFuture<Paired> pairResult) {
        long gen = generation.incrementAndGet();
        Channel old = channel.getAndSet(null);
        if (old != null) {
            old.close();
        }
        SslContext ctx;
        PinnedTrustManager trust = pairing == null
                ? PinnedTrustManager.pinned(pinnedMaster, clock, this::tlsRejected)
                : PinnedTrustManager.pairing(clock, this::tlsRejected);
        try {
            ctx = HaTls.forClient(settings.key(), settings.cert(), trust);
        } catch (SSLException e) {
            fail(gen, pairResult, Failure.ERROR, "cannot set up TLS: " + e.getMessage());
            return;
        }
        Session session = new Session(gen, pairing, pairResult);
        ChannelFuture f = HaConnections.connect(group, settings.master(), ctx, settings.connectTimeout(), session);
        channel.set(f.channel());
        f.addListener(done -> {
            if (!done.isSuccess()) {
                fail(gen, pairResult, HaConnections.classify(done.cause()),
                        "cannot connect to master " + settings.master() + ": " + done.cause().getMessage());
            }
        });
    }

    private void fail(long gen, CompletableFuture<Paired> pairResult, Failure kind, String why) {
        if (pairResult != null) {
            pairResult.completeExceptionally(new IllegalStateException(why));
            return;
        }
        if (gen == generation.get() && !closed) {
            log.debug("{}", why);
            events.accept(new FailoverEvent.ConnectFailed(kind));
        }
    }

    private void tlsRejected(String reason) {
        log.warn("HA TLS: {}", reason);
        alerts.raise(Severity.ERROR, AlertCategory.PAIRING_REJECTED, "tls:" + settings.master(),
                "The master at " + settings.master() + " presented a certificate that is not accepted: " + reason);
    }

    /** Closes the connection (if any); later events of that connection are ignored. */
    public void disconnect(String reason) {
        generation.incrementAndGet();
        Channel c = channel.getAndSet(null);
        if (c != null && c.isActive()) {
            log.info("closing HA connection to master {}: {}", settings.master(), reason);
            c.writeAndFlush(new Bye(epoch.getAsLong(), "SHUTDOWN", reason)).addListener(x -> c.close());
        } else if (c != null) {
            c.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        disconnect("shadow role stopped");
        installer.shutdown();
    }

    /** One connection's handler; stale once a newer connection replaced it. */
    private final class Session extends SimpleChannelInboundHandler<HaMessage> {
        private final long gen;
        private final Pairing pairing;
        private final CompletableFuture<Paired> pairResult;
        private boolean established;
        private boolean reported;
        private long seq;
        private long lastHeardPosted;
        private boolean unsyncedAck;
        private final ShadowSync sync = new ShadowSync();
        private ScheduledFuture<?> heartbeats;
        private ScheduledFuture<?> helloTimeout;

        Session(long gen, Pairing pairing, CompletableFuture<Paired> pairResult) {
            this.gen = gen;
            this.pairing = pairing;
            this.pairResult = pairResult;
        }

        private boolean current() {
            return gen == generation.get() && !closed;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            ssl.handshakeFuture().addListener(hs -> {
                if (!hs.isSuccess()) {
                    report(HaConnections.classify(hs.cause()),
                            "TLS handshake with master " + settings.master() + " failed: " + hs.cause().getMessage());
                    ctx.close();
                    return;
                }
                if (pairing != null && pairing.expectedFingerprint() != null) {
                    // checked before any credential is sent: a wrong master never sees the password
                    X509Certificate presented = HaTls.peerCertificate(ctx.channel()).orElse(null);
                    if (presented == null || !Certificates.fingerprintMatches(pairing.expectedFingerprint(), presented)) {
                        report(Failure.ERROR, "master certificate fingerprint "
                                + (presented == null ? "none" : Certificates.fingerprint(presented))
                                + " does not match --master-fingerprint " + pairing.expectedFingerprint()
                                + " (check you are attaching to the right master; no password was sent)");
                        ctx.close();
                        return;
                    }
                }
                Head h = replica.head();
                ctx.writeAndFlush(new Hello(settings.nodeId(), Role.SHADOW.wireName(), state.get(), epoch.getAsLong(),
                        h.revision(), h.hash(), Versions.SOFTWARE, Versions.PROTOCOL, settings.advertisedHaAddress(),
                        pairing == null ? null : pairing.user(), pairing == null ? null : pairing.password()));
                // pairing waits for the master's (deliberately slow) password check
                long wait = pairing == null ? settings.connectTimeout().toMillis() : PAIRING_HELLO_TIMEOUT_MS;
                helloTimeout = ctx.executor().schedule(() -> {
                    report(Failure.TIMEOUT, "master " + settings.master() + " did not answer HELLO within " + wait + " ms");
                    ctx.close();
                }, wait, TimeUnit.MILLISECONDS);
            });
        }

        private void report(Failure kind, String why) {
            if (reported) {
                return;
            }
            reported = true;
            if (pairResult != null) {
                pairResult.completeExceptionally(new IllegalStateException(why));
            } else if (current()) {
                log.debug("{}", why);
                events.accept(new FailoverEvent.ConnectFailed(kind));
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HaMessage msg) {
            if (!current() && pairResult == null) {
                ctx.close();
                return;
            }
            if (msg instanceof Hello h) {
                onHello(ctx, h);
            } else if (!established) {
                if (msg instanceof Bye bye) {
                    onBye(bye);
                }
                ctx.close();
            } else if (msg instanceof Heartbeat hb) {
                onHeartbeat(ctx, hb);
                lastHeardPosted = clock.nanoTime();
            } else if (msg instanceof Delta d) {
                heard(d.epoch(), peer.state(), peer.revision());
                proveAlive();
                HaMessage reply = replica.onDeltaDeferred(d, epoch.getAsLong());
                if (reply instanceof Ack) {
                    // acknowledged after the one fsync for this whole read batch (channelReadComplete)
                    unsyncedAck = true;
                } else {
                    flushDeferred(ctx);
                    ctx.writeAndFlush(reply);
                }
            } else if (msg instanceof FullSync fs) {
                heard(fs.epoch(), peer.state(), fs.revision());
                proveAlive();
                if (fs.last()) {
                    // installing a large document takes seconds: not on the event loop, where the master's
                    // heartbeats must keep proving it alive meanwhile
                    replica.installing(true);
                    installer.execute(() -> {
                        HaMessage reply;
                        try {
                            reply = replica.onFullSync(fs, epoch.getAsLong());
                        } finally {
                            replica.installing(false);
                        }
                        ctx.executor().execute(() -> {
                            ctx.writeAndFlush(reply);
                            afterApply(reply);
                        });
                    });
                } else {
                    HaMessage reply = replica.onFullSync(fs, epoch.getAsLong());
                    if (reply != null) {
                        ctx.writeAndFlush(reply);
                    }
                }
            } else if (msg instanceof Promote p) {
                log.info("master {} hands over: promote in epoch {} at revision {}", peer.nodeId(), p.epoch(), p.revision());
                events.accept(new FailoverEvent.PromoteReceived(p.epoch()));
            } else if (msg instanceof Demote d) {
                events.accept(new FailoverEvent.DemoteReceived(d.epoch(), peer.nodeId()));
            } else if (msg instanceof Bye bye) {
                onBye(bye);
                ctx.close();
            }
        }

        private void onHello(ChannelHandlerContext ctx, Hello h) {
            if (helloTimeout != null) {
                helloTimeout.cancel(false);
            }
            X509Certificate masterCert = HaTls.peerCertificate(ctx.channel()).orElse(null);
            if (pairing != null && pairing.expectedFingerprint() != null
                    && (masterCert == null || !Certificates.fingerprintMatches(pairing.expectedFingerprint(), masterCert))) {
                String got = masterCert == null ? "none" : Certificates.fingerprint(masterCert);
                pairResult.completeExceptionally(new IllegalStateException("master certificate fingerprint " + got
                        + " does not match --master-fingerprint " + pairing.expectedFingerprint()
                        + " (check you are attaching to the right master)"));
                ctx.close();
                return;
            }
            VersionPolicy.Decision versions = VersionPolicy.check(h.softwareVersion(), h.protocolVersion());
            if (!versions.accepted()) {
                String why = versions.reason();
                alerts.raise(Severity.ERROR, AlertCategory.VERSION_MISMATCH, "master", why);
                report(Failure.ERROR, why);
                ctx.close();
                return;
            }
            alerts.resolve(AlertCategory.VERSION_MISMATCH, "master");
            // the master admitted us: an earlier refusal (wrong password, unpinned certificate) no longer holds
            alerts.resolve(AlertCategory.PAIRING_REJECTED, "master");
            alerts.resolve(AlertCategory.PAIRING_REJECTED, "tls:" + settings.master());
            established = true;
            reported = true;
            masterAdminPort = h.adminPort();
            peer = new PeerView(h.nodeId(), settings.master().toString(), h.state(), h.epoch(), h.revision(), h.hash(),
                    clock.nanoTime());
            if (pairResult != null) {
                pairResult.complete(new Paired(masterCert, h));
                if (!current()) {
                    return;
                }
            }
            log.info("connected to master {} at {} (epoch {}, revision {})", h.nodeId(), settings.master(), h.epoch(), h.revision());
            events.accept(new FailoverEvent.Connected(new PeerInfo(h.nodeId(), Role.MASTER, h.epoch(),
                    PeerView.isActive(h.state()), h.revision())));
            long every = settings.heartbeat().toNanos();
            heartbeats = ctx.executor().scheduleAtFixedRate(() -> {
                Head head = replica.head();
                ctx.writeAndFlush(new Heartbeat(epoch.getAsLong(), head.revision(), head.hash(), ++seq,
                        Role.SHADOW.wireName(), state.get()));
            }, 0, every, TimeUnit.NANOSECONDS);
        }

        /** Any message from the master proves it alive, not only heartbeats (they queue behind pushes). */
        private void proveAlive() {
            long now = clock.nanoTime();
            if (now - lastHeardPosted >= settings.heartbeat().toNanos() / 2) {
                lastHeardPosted = now;
                events.accept(new FailoverEvent.PeerHeard(new PeerInfo(peer.nodeId(), Role.MASTER, peer.epoch(),
                        PeerView.isActive(peer.state()), peer.revision())));
            }
        }

        private void onHeartbeat(ChannelHandlerContext ctx, Heartbeat hb) {
            heard(hb.epoch(), hb.state(), hb.revision());
            peer = new PeerView(peer.nodeId(), peer.address(), hb.state(), hb.epoch(), hb.revision(), hb.hash(), clock.nanoTime());
            events.accept(new FailoverEvent.PeerHeard(new PeerInfo(peer.nodeId(), Role.MASTER, hb.epoch(),
                    PeerView.isActive(hb.state()), hb.revision())));
            Head h = replica.head();
            ShadowSync.Verdict v = sync.onHeartbeat(hb.revision(), hb.hash(), h, replica.transferInProgress());
            if (v.hashMismatch()) {
                alerts.raise(Severity.ERROR, AlertCategory.CONFIG_INCONSISTENT, "master",
                        "Configuration differs from the master at revision " + h.revision() + " (hash "
                                + ShadowReplica.shortHash(h.hash()) + " here, " + ShadowReplica.shortHash(hb.hash())
                                + " on the master); a full resync was requested and repairs it automatically.");
                ctx.writeAndFlush(new Nack(epoch.getAsLong(), "config hash differs at revision " + h.revision(), true,
                        h.revision(), h.hash()));
            } else if (v.hashMatch()) {
                alerts.resolve(AlertCategory.CONFIG_INCONSISTENT, "master");
            }
            inSync(v.inSync());
        }

        private void afterApply(HaMessage reply) {
            if (reply instanceof Ack a) {
                inSync(sync.onAcked(a.revision(), peer.revision()));
            }
        }

        private void inSync(Boolean changed) {
            if (changed != null) {
                events.accept(new FailoverEvent.SyncProgress(changed));
            }
        }

        private void heard(long peerEpoch, String peerState, long peerRevision) {
            peer = new PeerView(peer.nodeId(), peer.address(), peerState, peerEpoch, Math.max(peerRevision, peer.revision()),
                    peer.hash(), clock.nanoTime());
        }

        private void onBye(Bye bye) {
            String why = "master " + settings.master() + " closed the HA connection: " + bye.reason() + " (" + bye.code() + ")";
            log.warn("{}", why);
            if ("AUTH_FAILED".equals(bye.code()) || "AUTH_THROTTLED".equals(bye.code()) || "HOST_NOT_PERMITTED".equals(bye.code()) || "NOT_PAIRED".equals(bye.code())) {
                alerts.raise(Severity.ERROR, AlertCategory.PAIRING_REJECTED, "master", why);
            } else if ("VERSION_MISMATCH".equals(bye.code())) {
                alerts.raise(Severity.ERROR, AlertCategory.VERSION_MISMATCH, "master", why);
            }
            if (pairResult != null) {
                pairResult.completeExceptionally(new IllegalStateException(bye.reason()));
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            flushDeferred(ctx);
            ctx.fireChannelReadComplete();
        }

        /** Syncs deltas applied since the last read batch and sends one cumulative ACK. */
        private void flushDeferred(ChannelHandlerContext ctx) {
            if (!unsyncedAck) {
                return;
            }
            unsyncedAck = false;
            try {
                Head durable = replica.sync();
                Ack ack = new Ack(epoch.getAsLong(), durable.revision(), durable.hash());
                ctx.writeAndFlush(ack);
                afterApply(ack);
            } catch (java.io.IOException e) {
                log.error("cannot make replicated revisions durable: {}", e.getMessage());
                Head h = replica.head();
                ctx.writeAndFlush(new Nack(epoch.getAsLong(), "local store failure: " + e.getMessage(), false,
                        h.revision(), h.hash()));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (heartbeats != null) {
                heartbeats.cancel(false);
            }
            if (helloTimeout != null) {
                helloTimeout.cancel(false);
            }
            if (established) {
                if (current()) {
                    log.info("HA connection to master {} lost", settings.master());
                    events.accept(new FailoverEvent.ConnectionLost(Failure.CLOSED));
                }
            } else {
                report(Failure.ERROR, "HA connection to master " + settings.master() + " closed before HELLO");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HA connection to master {}: {}", settings.master(), cause.toString());
            ctx.close();
        }
    }



}
