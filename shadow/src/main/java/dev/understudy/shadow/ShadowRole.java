package dev.understudy.shadow;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.Head;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverEvent.Failure;
import dev.understudy.ha.handshake.HaClientHandshake;
import dev.understudy.ha.handshake.HaClientInitializer;
import dev.understudy.ha.handshake.HaConnections;
import dev.understudy.ha.handshake.PeerView;
import dev.understudy.ha.handshake.Versions;
import dev.understudy.ha.message.Bye;
import dev.understudy.ha.message.Hello;
import dev.understudy.ha.tls.HaTls;
import dev.understudy.ha.tls.PinnedTrustManager;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
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
        MasterConnection connection = new MasterConnection(this, () -> gen == generation.get() && !closed, pairResult,
                installer);
        // pairing waits for the master's (deliberately slow) password check
        Duration helloTimeout = pairing == null ? settings.connectTimeout() : Duration.ofMillis(PAIRING_HELLO_TIMEOUT_MS);
        var handshake = new HaClientHandshake("master " + settings.master(), () -> {
            Head h = replica.head();
            return new Hello(settings.nodeId(), Role.SHADOW.wireName(), state.get(), epoch.getAsLong(), h.revision(),
                    h.hash(), Versions.SOFTWARE, Versions.PROTOCOL, settings.advertisedHaAddress(),
                    pairing == null ? null : pairing.user(), pairing == null ? null : pairing.password());
        }, pairing == null ? null : pairing.expectedFingerprint(), helloTimeout, connection);
        ChannelFuture f = HaConnections.connect(group, settings.master(), settings.connectTimeout(),
                new HaClientInitializer(settings.master(), ctx, settings.connectTimeout(), handshake, connection));
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

    Settings settings() {
        return settings;
    }

    Clock clock() {
        return clock;
    }

    AlertStore alerts() {
        return alerts;
    }

    LongSupplier epoch() {
        return epoch;
    }

    Supplier<String> state() {
        return state;
    }

    Consumer<FailoverEvent> events() {
        return events;
    }

    void peer(PeerView p) {
        peer = p;
    }

    /** The master's HELLO on an established connection: what this shadow now knows of its master. */
    void heardHello(Hello h) {
        masterAdminPort = h.adminPort();
        peer = new PeerView(h.nodeId(), settings.master().toString(), h.state(), h.epoch(), h.revision(), h.hash(),
                clock.nanoTime());
    }
}
