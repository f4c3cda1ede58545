package dev.understudy.dist.nemesis;

import static dev.understudy.dist.testing.NodeProcess.cli;
import static dev.understudy.dist.testing.NodeProcess.ok;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.testing.FaultProxy;
import dev.understudy.common.testing.ProcessPauser;
import dev.understudy.dist.node.RunFile;
import dev.understudy.dist.testing.NodeProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A master and a shadow as real processes whose HA channel runs through a fault proxy in <em>both</em>
 * directions: the shadow's peerAddress is proxy {@code toA} (forwarding to A's HA port) and the master's
 * peerAddress is proxy {@code toB} (forwarding to B's HA port). Whoever is shadow connects to its
 * peerAddress, and a restarted former master checks its peer at its peerAddress, so after any number of
 * role switches every HA connection and every peer check crosses a proxy. The admin API and the client are
 * not proxied (a partition cuts the HA channel only, as with a dedicated replication link).
 */
final class Pair implements AutoCloseable {

    static final Duration HEARTBEAT = Duration.ofMillis(100);
    static final Duration TAKEOVER = Duration.ofSeconds(1);
    static final Duration CONNECT = Duration.ofMillis(500);
    static final Duration REQUEST = Duration.ofSeconds(1);

    /** One node of the pair. */
    static final class Node {
        final String id;
        final Path home;
        final AdminHttp http;
        volatile NodeProcess process;
        volatile int adminPort;
        volatile boolean down;
        /** The clock offset the running process was started with (libfaketime), in seconds. */
        volatile int skewSeconds;
        /** The largest offset this node ever ran with, for matching its alert times against the test's clock. */
        volatile int maxSkewSeconds;

        Node(String id, Path home) throws IOException {
            this.id = id;
            this.home = home;
            this.http = new AdminHttp(home);
        }

        @Override
        public String toString() {
            return id;
        }
    }

    private final NodeProcess.Fleet fleet = new NodeProcess.Fleet();
    final Path work;
    final Node a;
    final Node b;
    final FaultProxy toA;
    final FaultProxy toB;

    private Pair(Path work, Node a, Node b, FaultProxy toA, FaultProxy toB) {
        this.work = work;
        this.a = a;
        this.b = b;
        this.toA = toA;
        this.toB = toB;
    }

    List<Node> nodes() {
        return List.of(a, b);
    }

    Node other(Node n) {
        return n == a ? b : a;
    }

    List<FaultProxy> proxies() {
        return List.of(toA, toB);
    }

    /** Inits A (master) and B (shadow), pairs them through the proxies and waits until B is in sync. */
    static Pair start(Path work) throws Exception {
        Path password = work.resolve("admin-password");
        Files.writeString(password, "nemesis-admin-password\n");
        Path homeA = work.resolve("nm-a");
        Path homeB = work.resolve("nm-b");
        for (String[] n : new String[][] {{"nm-a", "master"}, {"nm-b", "shadow"}}) {
            ok("init", "--home", work.resolve(n[0]).toString(), "--role", n[1], "--admin-port", "0", "--ha-port", "0",
                    "--non-interactive", "--admin-password-file", password.toString(), "--node-id", n[0]);
        }
        Node a = new Node("nm-a", homeA);
        Node b = new Node("nm-b", homeB);
        FaultProxy toA = null;
        FaultProxy toB = null;
        Pair pair = null;
        try {
            NodeProcess.Fleet boot = new NodeProcess.Fleet();
            try {
                NodeProcess pa = boot.start(homeA);
                NodeProcess pb = boot.start(homeB);
                pa.awaitReady();
                pb.awaitReady();
                int haA = new NodeHome(homeA).loadSettings().haPort();
                String fp = ok("status", "--home", homeA.toString(), "--json").json().path("certificateFingerprint").asText();
                // On a loaded machine the first TLS handshake of a cold JVM can outlast the master's silence
                // timeout ("closed before HELLO"); an operator would run attach again, and so does this.
                NodeProcess.CliResult attach = null;
                for (int attempt = 1; attempt <= 5; attempt++) {
                    attach = cli("attach", "--home", homeB.toString(), "--master", "127.0.0.1:" + haA, "--user", "admin",
                            "--password-file", password.toString(), "--master-fingerprint", fp);
                    if (attach.exit() == 0 || !attach.err().contains("closed before HELLO")) {
                        break;
                    }
                    System.out.println("nemesis: attach attempt " + attempt + " failed, retrying: " + attach.err().trim());
                }
                if (attach.exit() != 0) {
                    throw new AssertionError("attach failed: " + attach);
                }
                await("nm-b in STANDBY").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
                        ok("status", "--home", homeB.toString(), "--json").json().path("state").asText().equals("STANDBY"));
                // the shadow first: a shadow that sees its master stop would promote itself (epoch 2) and the
                // schedule would start from two masters
                pb.terminate();
                pa.terminate();
            } finally {
                boot.close();
            }
            int haA = new NodeHome(homeA).loadSettings().haPort();
            int haB = new NodeHome(homeB).loadSettings().haPort();
            toA = FaultProxy.start("127.0.0.1", 0, "127.0.0.1", haA);
            toB = FaultProxy.start("127.0.0.1", 0, "127.0.0.1", haB);
            NodeHome ha = new NodeHome(homeA);
            NodeSettings sa = ha.loadSettings();
            ha.saveSettings(sa.withPeer("127.0.0.1:" + toB.port(), sa.peerNodeId()));
            NodeHome hb = new NodeHome(homeB);
            NodeSettings sb = hb.loadSettings();
            hb.saveSettings(sb.withPeer("127.0.0.1:" + toA.port(), sb.peerNodeId()));
            // pairing ran with the default timings (a loaded machine may take over a second for it); the
            // schedule runs with the fast ones
            for (Path home : List.of(homeA, homeB)) {
                NodeHome h = new NodeHome(home);
                h.saveSettings(h.loadSettings().withTimings(HEARTBEAT, TAKEOVER, CONNECT, REQUEST));
            }
            pair = new Pair(work, a, b, toA, toB);
            pair.launch(a);
            pair.launch(b);
            Pair started = pair;
            // either orientation: on a loaded machine the restarted shadow may have taken over already
            await("one node ACTIVE_PAIRED and the other STANDBY before the schedule").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100)).until(() -> {
                        String stateA = started.status(a, 1_000).map(j -> j.path("state").asText()).orElse("");
                        String stateB = started.status(b, 1_000).map(j -> j.path("state").asText()).orElse("");
                        return stateA.equals("ACTIVE_PAIRED") && stateB.equals("STANDBY")
                                || stateB.equals("ACTIVE_PAIRED") && stateA.equals("STANDBY");
                    });
            return pair;
        } catch (Exception | Error e) {
            if (pair != null) {
                pair.close();
            } else {
                if (toA != null) {
                    toA.close();
                }
                if (toB != null) {
                    toB.close();
                }
            }
            throw e;
        }
    }

    /** libfaketime's thread-safe library, when installed (package faketime). */
    static final Optional<Path> LIBFAKETIME = java.util.stream.Stream.of(
                    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
                    "/usr/lib/faketime/libfaketimeMT.so.1", "/usr/local/lib/faketime/libfaketimeMT.so.1")
            .map(Path::of).filter(Files::isReadable).findFirst();

    /** Starts the node's process and waits until it is ready (its admin port is then known). */
    void launch(Node n) throws IOException {
        launch(n, 0);
    }

    /**
     * Starts the node's process with its wall clock off by {@code skewSeconds} (libfaketime; 0 = the real
     * clock) and waits until it is ready. Returns whether the node's own clock honoured the offset: the
     * startedAt it wrote to run.json lies in the test's [exec, ready] window shifted by the offset (+-1 s).
     */
    boolean launch(Node n, int skewSeconds) throws IOException {
        java.util.Map<String, String> env = java.util.Map.of();
        if (skewSeconds != 0) {
            Path lib = LIBFAKETIME.orElseThrow(() -> new IllegalStateException("libfaketime: not installed"
                    + " (expected: the faketime package, for SKEW faults)"));
            env = java.util.Map.of("LD_PRELOAD", lib.toString(), "FAKETIME", (skewSeconds > 0 ? "+" : "") + skewSeconds + "s",
                    "FAKETIME_NO_CACHE", "0");
        }
        long before = System.currentTimeMillis();
        NodeProcess p = fleet.start(n.home, env);
        RunFile run = p.awaitReady();
        long after = System.currentTimeMillis();
        n.adminPort = run.adminPort();
        n.process = p;
        n.skewSeconds = skewSeconds;
        n.maxSkewSeconds = Math.max(n.maxSkewSeconds, Math.abs(skewSeconds));
        n.down = false;
        long shifted = java.time.Instant.parse(run.startedAt()).toEpochMilli() - skewSeconds * 1000L;
        return shifted >= before - 1_000 && shifted <= after + 1_000;
    }

    void kill(Node n) throws InterruptedException {
        n.down = true;
        n.process.kill();
    }

    void pause(Node n) {
        ProcessPauser.pause(n.process.pid());
    }

    void resume(Node n) {
        ProcessPauser.resume(n.process.pid());
    }

    /** Undoes every network fault: no partition, no delay, no drops. */
    void healNetwork() {
        for (FaultProxy p : proxies()) {
            p.delay(Duration.ZERO);
            p.dropProbability(0.0);
            p.heal();
        }
    }

    /** GET /api/v1/status of a node, or empty when it does not answer within {@code timeoutMs}. */
    Optional<JsonNode> status(Node n, int timeoutMs) {
        if (n.down) {
            return Optional.empty();
        }
        try {
            AdminHttp.Reply r = n.http.send(n.adminPort, "GET", "/api/v1/status", null, timeoutMs, timeoutMs);
            return r.status() == 200 ? Optional.ofNullable(r.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** GET of an admin API path that must answer 200. */
    JsonNode get(Node n, String path) throws IOException {
        AdminHttp.Reply r = n.http.send(n.adminPort, "GET", path, null, 2_000, 10_000);
        if (r.status() != 200) {
            throw new IOException("GET " + path + " on " + n + ": HTTP " + r.status() + " " + r.body());
        }
        return r.body();
    }

    String logs(Node n) {
        StringBuilder b = new StringBuilder();
        try (var files = Files.list(work)) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith(n.id + "-run-")).sorted().toList()) {
                b.append("  ").append(p).append('\n');
            }
        } catch (IOException e) {
            b.append("  (cannot list ").append(work).append(": ").append(e.getMessage()).append(")\n");
        }
        return b.toString();
    }

    @Override
    public void close() throws InterruptedException {
        for (Node n : nodes()) {
            NodeProcess p = n.process;
            if (p != null && p.isAlive()) {
                try {
                    ProcessPauser.resume(p.pid()); // a paused process still dies of SIGKILL, but be tidy
                } catch (IllegalStateException e) {
                    // already gone
                }
            }
        }
        fleet.close();
        toA.close();
        toB.close();
    }
}
