package dev.understudy.dist.bench;

import dev.understudy.common.concurrent.Futures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.Durations;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Failover of real processes (DESIGN.md §8): two {@code understudy run} processes of the installed
 * distribution, paired on loopback, with one mapping to an echo backend started by the benchmark.
 *
 * <p>Crash runs: the current master is killed with SIGKILL; measured from the kill to (a) the shadow
 * answering {@code /healthz} 200 and (b) the first successful TCP round trip through the mapping. The
 * killed node is restarted, rejoins as shadow, and once it is STANDBY the next run kills the other node
 * (roles alternate). Pause runs: the master is stopped with SIGSTOP; measured from the signal to the shadow
 * serving, against takeoverDelay; the paused node is resumed and rejoins as shadow.
 *
 * <p>Both nodes listen on one host, so the mapping's listen port is the same for both: between the kill and
 * the promotion nothing listens on it, which is what a client behind a floating address would see.
 */
public final class FailoverBenchmark {

    /** Crash runs when not told otherwise. */
    public static final int DEFAULT_KILLS = 20;
    /** Pause runs when not told otherwise. */
    public static final int DEFAULT_PAUSES = 5;

    private static final Duration READY = Duration.ofSeconds(60);
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final long POLL_NANOS = 1_000_000L;

    /**
     * What to run.
     *
     * @param launcher          bin/understudy of the distribution to measure
     * @param workDir           directory for the two node homes and their logs (created)
     * @param kills             crash runs (SIGKILL of the master), at least 1
     * @param pauses            pause runs (SIGSTOP of the master), 0 or more
     * @param heartbeatInterval node.json heartbeatInterval for both nodes; null for the default
     * @param takeoverDelay     node.json takeoverDelay for both nodes; null for the default
     */
    public record Options(Path launcher, Path workDir, int kills, int pauses, Duration heartbeatInterval,
                          Duration takeoverDelay) {
        public Options {
            if (launcher == null || !Files.isExecutable(launcher)) {
                throw new IllegalArgumentException("launcher: " + launcher + " (expected: the executable bin/understudy)");
            }
            if (workDir == null) {
                throw new IllegalArgumentException("workDir: missing (expected: a directory for the node homes)");
            }
            if (kills < 1) {
                throw new IllegalArgumentException("kills: " + kills + " (expected: >= 1)");
            }
            if (pauses < 0) {
                throw new IllegalArgumentException("pauses: " + pauses + " (expected: >= 0)");
            }
        }

        /** Default counts and node timings. */
        public static Options defaults(Path launcher, Path workDir) {
            return new Options(launcher, workDir, DEFAULT_KILLS, DEFAULT_PAUSES, null, null);
        }
    }

    /**
     * Figures of one benchmark run, in milliseconds.
     *
     * @param killToActive      SIGKILL of the master -> the shadow answers /healthz 200
     * @param killToTraffic     SIGKILL of the master -> first TCP round trip through the mapping
     * @param pauseToPromotion  SIGSTOP of the master -> the shadow answers /healthz 200 (null without pause runs)
     * @param heartbeatInterval effective heartbeatInterval of the nodes
     * @param takeoverDelay     effective takeoverDelay of the nodes
     */
    public record Result(Percentiles killToActive, Percentiles killToTraffic, Percentiles pauseToPromotion,
                         Duration heartbeatInterval, Duration takeoverDelay) {

        /** Human-readable figures, one line each. */
        public String toText() {
            StringBuilder b = new StringBuilder();
            b.append("failover of real processes (heartbeatInterval ").append(Durations.format(heartbeatInterval))
                    .append(", takeoverDelay ").append(Durations.format(takeoverDelay)).append(")\n");
            b.append("  kill -9 master -> shadow active (/healthz 200): ").append(killToActive).append('\n');
            b.append("  kill -9 master -> traffic through the mapping:  ").append(killToTraffic)
                    .append("   (target p50 < 100 ms, p99 < 250 ms)\n");
            if (pauseToPromotion != null) {
                b.append("  SIGSTOP master -> shadow active:                ").append(pauseToPromotion)
                        .append(String.format("   (takeoverDelay %d ms; target <= takeoverDelay + 200 ms)",
                                takeoverDelay.toMillis())).append('\n');
            }
            return b.toString();
        }

        /** The figures as a JSON object (milliseconds). */
        public String toJson() {
            ObjectNode root = Json.object();
            root.put("heartbeatIntervalMillis", heartbeatInterval.toMillis());
            root.put("takeoverDelayMillis", takeoverDelay.toMillis());
            root.set("killToActive", json(killToActive));
            root.set("killToTraffic", json(killToTraffic));
            if (pauseToPromotion != null) {
                ObjectNode p = json(pauseToPromotion);
                p.put("overTakeoverDelayP50", pauseToPromotion.p50() - takeoverDelay.toMillis());
                root.set("pauseToPromotion", p);
            }
            return Json.pretty(root);
        }

        private static ObjectNode json(Percentiles p) {
            return Json.object().put("n", p.n()).put("p50", p.p50()).put("p99", p.p99()).put("max", p.max());
        }
    }

    private FailoverBenchmark() {}

    /** The launcher the CLI runs from (the {@code understudy.launcher} system property set by bin/understudy). */
    public static Path launcherFromSystemProperty() {
        String l = System.getProperty("understudy.launcher");
        if (l == null || l.isBlank()) {
            throw new IllegalStateException("understudy.launcher: not set (expected: started by bin/understudy)");
        }
        return Path.of(l);
    }

    /** Runs the benchmark; progress lines go to {@code progress}. Every process started is gone on return. */
    public static Result run(Options o, PrintStream progress) throws Exception {
        Clock clock = Clock.system();
        Files.createDirectories(o.workDir());
        Path password = o.workDir().resolve("admin-password");
        byte[] secret = new byte[18];
        new SecureRandom().nextBytes(secret);
        AtomicFiles.write(password, (HexFormat.of().formatHex(secret) + "\n").getBytes(StandardCharsets.US_ASCII),
                AtomicFiles.OWNER_ONLY);
        List<BenchNode> nodes = new ArrayList<>();
        try (EchoBackend backend = EchoBackend.start()) {
            BenchNode a = new BenchNode(o.launcher(), o.workDir().resolve("node-a"));
            BenchNode b = new BenchNode(o.launcher(), o.workDir().resolve("node-b"));
            nodes.add(a);
            nodes.add(b);
            a.init("bench-a", "master", password);
            b.init("bench-b", "shadow", password);
            a.setTimings(o.heartbeatInterval(), o.takeoverDelay());
            b.setTimings(o.heartbeatInterval(), o.takeoverDelay());
            a.start();
            b.start();
            a.awaitReady();
            b.awaitReady();
            b.cli("attach", "--master", "127.0.0.1:" + a.haPort(), "--user", "admin", "--password-file", password.toString(),
                    "--master-fingerprint", Certificates.fingerprint(Certificates.readCertificate(new NodeHome(a.home()).nodeCrt())));
            int listen = freePort();
            a.cli("mapping", "add", "--id", "bench", "--listen-host", "127.0.0.1", "--listen-port", Integer.toString(listen),
                    "--backend-host", "127.0.0.1", "--backend-port", Integer.toString(backend.port()));
            NodeSettings effective = new NodeHome(a.home()).loadSettings();
            Duration hb = effective.heartbeatInterval();
            Duration takeover = effective.takeoverDelay();
            awaitPair(a, b, clock);
            until(clock, "traffic through the mapping on " + listen, () -> roundTrip(listen));
            progress.printf("pair ready: master %s, shadow %s, mapping 127.0.0.1:%d -> echo 127.0.0.1:%d%n",
                    a.home().getFileName(), b.home().getFileName(), listen, backend.port());

            BenchNode master = a;
            BenchNode shadow = b;
            long[] toActive = new long[o.kills()];
            long[] toTraffic = new long[o.kills()];
            for (int i = 0; i < o.kills(); i++) {
                long t0 = clock.nanoTime();
                CompletableFuture<Long> traffic = CompletableFuture.supplyAsync(() -> {
                    waitUntil(clock, t0, () -> roundTrip(listen));
                    return clock.nanoTime() - t0;
                });
                master.kill();
                BenchNode s = shadow;
                waitUntil(clock, t0, () -> s.healthz() == 200);
                toActive[i] = clock.nanoTime() - t0;
                toTraffic[i] = Futures.within(traffic, STEP, "traffic through the new master");
                progress.printf("kill %d/%d: active after %.1f ms, traffic after %.1f ms%n", i + 1, o.kills(),
                        toActive[i] / 1e6, toTraffic[i] / 1e6);
                master.start();
                master.awaitReady();
                awaitPair(shadow, master, clock);
                BenchNode t = master;
                master = shadow;
                shadow = t;
            }
            long[] pauseSamples = new long[o.pauses()];
            for (int i = 0; i < o.pauses(); i++) {
                long t0 = clock.nanoTime();
                master.signal("STOP");
                try {
                    BenchNode s = shadow;
                    waitUntil(clock, t0, () -> s.healthz() == 200);
                    pauseSamples[i] = clock.nanoTime() - t0;
                } finally {
                    master.signal("CONT");
                }
                progress.printf("pause %d/%d: promoted after %.1f ms (takeoverDelay %d ms)%n", i + 1, o.pauses(),
                        pauseSamples[i] / 1e6, takeover.toMillis());
                awaitPair(shadow, master, clock);
                BenchNode t = master;
                master = shadow;
                shadow = t;
            }
            return new Result(Percentiles.ofNanos(toActive), Percentiles.ofNanos(toTraffic),
                    o.pauses() == 0 ? null : Percentiles.ofNanos(pauseSamples), hb, takeover);
        } finally {
            for (BenchNode n : nodes) {
                n.destroy();
            }
        }
    }

    /** Waits until {@code master} is ACTIVE_PAIRED and {@code shadow} STANDBY in the same epoch. */
    private static void awaitPair(BenchNode master, BenchNode shadow, Clock clock) {
        until(clock, master.home().getFileName() + " master of STANDBY " + shadow.home().getFileName(), () -> {
            JsonNode m = master.statusOrNull();
            JsonNode s = shadow.statusOrNull();
            return m != null && s != null && "ACTIVE_PAIRED".equals(m.path("state").asText())
                    && "STANDBY".equals(s.path("state").asText()) && m.path("epoch").asLong() == s.path("epoch").asLong();
        });
    }

    private static void until(Clock clock, String what, BooleanSupplier done) {
        long deadline = clock.nanoTime() + STEP.toNanos();
        while (!done.getAsBoolean()) {
            if (clock.nanoTime() > deadline) {
                throw new IllegalStateException("benchmark: " + what + " did not happen within " + STEP.toSeconds()
                        + " s (see the node logs next to the homes)");
            }
            LockSupport.parkNanos(20 * POLL_NANOS);
        }
    }

    /** Busy-ish wait (1 ms between attempts) for a measured event; bounded. */
    private static void waitUntil(Clock clock, long t0, BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            if (clock.nanoTime() - t0 > STEP.toNanos()) {
                throw new IllegalStateException("benchmark: no failover within " + STEP.toSeconds()
                        + " s (see the node logs next to the homes)");
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    static boolean roundTrip(int port) {
        byte[] ping = "understudy-bench\n".getBytes(StandardCharsets.US_ASCII);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 250);
            s.setSoTimeout(1_000);
            s.getOutputStream().write(ping);
            s.getOutputStream().flush();
            return Arrays.equals(ping, s.getInputStream().readNBytes(ping.length));
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A TCP echo server on 127.0.0.1 (OS-chosen port): the backend of the benchmark's mapping. */
    private static final class EchoBackend implements AutoCloseable {
        private final ServerSocket listener;
        private final List<Socket> open = new ArrayList<>();

        private EchoBackend(ServerSocket listener) {
            this.listener = listener;
            Thread t = new Thread(this::accept, "bench-echo");
            t.setDaemon(true);
            t.start();
        }

        static EchoBackend start() throws IOException {
            return new EchoBackend(new ServerSocket(0, 100, InetAddress.getLoopbackAddress()));
        }

        int port() {
            return listener.getLocalPort();
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket s = listener.accept();
                    synchronized (open) {
                        open.add(s);
                    }
                    Thread t = new Thread(() -> echo(s), "bench-echo-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void echo(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // the client went away
            } finally {
                synchronized (open) {
                    open.remove(s);
                }
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            synchronized (open) {
                for (Socket s : open) {
                    s.close();
                }
                open.clear();
            }
        }
    }
}
