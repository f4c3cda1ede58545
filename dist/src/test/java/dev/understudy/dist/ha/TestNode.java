package dev.understudy.dist.ha;

import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.HomeInitializer;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.StoreOptions;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A node's HA half running in this JVM on loopback, with a recorded data plane. */
final class TestNode implements AutoCloseable {

    static final char[] PASSWORD = "correct horse battery".toCharArray();

    final NodeHome home;
    final StoreOptions storeOptions;
    ConfigStore store;
    AlertStore alerts;
    HaNode ha;
    EventLoopGroup group;
    final List<String> servingLog = new ArrayList<>();
    volatile boolean serving;

    static TestNode init(Path dir, String id, Role role, StoreOptions options) throws Exception {
        NodeHome home = HomeInitializer.create(dir, new HomeInitializer.Request(id, role, "127.0.0.1", 0, "127.0.0.1", 0,
                "admin", PASSWORD.clone(), null), Instant.now());
        NodeSettings s = home.loadSettings().withTimings(Duration.ofMillis(100), Duration.ofSeconds(1),
                Duration.ofMillis(500), Duration.ofSeconds(2));
        home.saveSettings(s);
        return new TestNode(home, options);
    }

    TestNode(NodeHome home, StoreOptions options) {
        this.home = home;
        this.storeOptions = options;
    }

    TestNode start() throws Exception {
        store = ConfigStore.open(home.configDir(), storeOptions);
        alerts = AlertStore.open(home.alertsJson(), Clock.system());
        group = new NioEventLoopGroup(2);
        ha = new HaNode(home, home.loadSettings(), home.loadState(), store, alerts, Clock.system(), group, group,
                Certificates.readPrivateKey(home.nodeKey()), Certificates.readCertificate(home.nodeCrt()),
                new ServingHooks() {
                    @Override
                    public void startServing(long epoch) {
                        serving = true;
                        synchronized (servingLog) {
                            servingLog.add("start " + epoch);
                        }
                    }

                    @Override
                    public void stopServing(String reason) {
                        serving = false;
                        synchronized (servingLog) {
                            servingLog.add("stop");
                        }
                    }
                });
        ha.start();
        return this;
    }

    String haAddress() {
        return "127.0.0.1:" + ha.haPort();
    }

    /** Stops everything as a crash would: no goodbye on the HA channel, sockets reset. */
    void crash() throws Exception {
        group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS).syncUninterruptibly();
        ha.close();
        store.close();
    }

    @Override
    public void close() throws Exception {
        if (ha != null) {
            ha.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (store != null) {
            store.close();
        }
    }
}
