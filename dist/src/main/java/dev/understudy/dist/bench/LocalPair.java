package dev.understudy.dist.bench;

import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.HomeInitializer;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.StoreOptions;
import dev.understudy.dist.ha.HaNode;
import dev.understudy.dist.ha.ServingHooks;
import dev.understudy.ha.failover.HaState;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HA half of a node running in this JVM on loopback — store, alerts, HA runtime — without
 * the admin API and data plane. Used by the benchmarks and by in-JVM pair tests.
 */
public final class LocalPair {

    private LocalPair() {}

    /** One in-JVM node. {@link #serving()} reflects what the HA runtime asked of the data plane. */
    public static final class Node implements AutoCloseable {
        public final NodeHome home;
        private final StoreOptions options;
        private ConfigStore store;
        private AlertStore alerts;
        private HaNode ha;
        private EventLoopGroup group;
        private volatile boolean serving;
        private volatile long servingEpoch = -1;
        private final java.util.List<Long> servedEpochs = new java.util.concurrent.CopyOnWriteArrayList<>();

        Node(NodeHome home, StoreOptions options) {
            this.home = home;
            this.options = options;
        }

        /** Creates a home in {@code dir} (admin user "admin" with {@code password}, loopback, OS-chosen ports). */
        public static Node init(Path dir, String id, Role role, char[] password, StoreOptions options,
                                Duration heartbeat, Duration takeover) throws Exception {
            NodeHome home = HomeInitializer.create(dir, new HomeInitializer.Request(id, role, "127.0.0.1", 0,
                    "127.0.0.1", 0, "admin", password.clone(), null), Instant.now());
            NodeSettings s = home.loadSettings().withTimings(heartbeat, takeover, Duration.ofSeconds(1),
                    Duration.ofSeconds(2));
            home.saveSettings(s);
            return new Node(home, options);
        }

        /** The same home, to start again after {@link #close()} or {@link #crash()}. */
        public Node reopen() {
            return new Node(home, options);
        }

        public Node start() throws Exception {
            store = ConfigStore.open(home.configDir(), options);
            alerts = AlertStore.open(home.alertsJson(), Clock.system());
            group = new NioEventLoopGroup(2);
            ha = new HaNode(home, home.loadSettings(), home.loadState(), store, alerts, Clock.system(), group, group,
                    Certificates.readPrivateKey(home.nodeKey()), Certificates.readCertificate(home.nodeCrt()),
                    new ServingHooks() {
                        @Override
                        public void startServing(long epoch) {
                            servingEpoch = epoch;
                            servedEpochs.add(epoch);
                            serving = true;
                        }

                        @Override
                        public void stopServing(String reason) {
                            serving = false;
                        }
                    });
            ha.start();
            return this;
        }

        public ConfigStore store() {
            return store;
        }

        public AlertStore alerts() {
            return alerts;
        }

        public HaNode ha() {
            return ha;
        }

        public boolean serving() {
            return serving;
        }

        public long servingEpoch() {
            return servingEpoch;
        }

        /** Every epoch this node started serving in since {@link #start()}, in order. */
        public java.util.List<Long> servedEpochs() {
            return java.util.List.copyOf(servedEpochs);
        }

        public String haAddress() {
            return "127.0.0.1:" + ha.haPort();
        }

        /** Attaches this (shadow) node to {@code master} and waits until both report in sync. */
        public void attachTo(Node master, char[] password, Duration timeout) throws Exception {
            ha.attach(HostPort.parse(master.haAddress()), "admin", password.clone(), null).get(timeout.toMillis(),
                    TimeUnit.MILLISECONDS);
            awaitInSync(master, this, timeout);
        }

        /** Stops as a crash would: sockets dropped, no goodbye on the HA channel. */
        public void crash() throws Exception {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
            ha.close();
            store.close();
        }

        @Override
        public void close() throws java.io.IOException {
            if (ha != null) {
                ha.close();
            }
            if (group != null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
            if (store != null) {
                store.close();
            }
        }
    }

    /** Waits (bounded) until the master is ACTIVE_PAIRED, the shadow STANDBY, and both heads equal. */
    public static void awaitInSync(Node master, Node shadow, Duration timeout) throws TimeoutException, InterruptedException {
        Clock clock = Clock.system();
        long deadline = clock.nanoTime() + timeout.toNanos();
        while (clock.nanoTime() < deadline) {
            if (shadow.ha().state() == HaState.STANDBY && master.ha().state() == HaState.ACTIVE_PAIRED
                    && shadow.store().head().equals(master.store().head())) {
                return;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        throw new TimeoutException("pair not in sync within " + timeout.toMillis() + " ms: master " + master.ha().state()
                + " " + master.store().head() + ", shadow " + shadow.ha().state() + " " + shadow.store().head());
    }
}
