package dev.understudy.dist;

import static dev.understudy.dist.testing.NodeProcess.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.dist.testing.NodeProcess;
import dev.understudy.dist.testing.PairedNodes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Clients keep connecting through a real HAProxy (Debian's haproxy) while the master is killed
 * with SIGKILL; traffic flows again through the promoted shadow, and the test prints how long
 * connections failed.
 *
 * <p>How the configuration demonstrates health-checked routing on one machine. HAProxy's config
 * is made at test time from the shipped example {@code etc/haproxy/haproxy.cfg.example} (only
 * addresses and ports are replaced, so the example stays what is tested). Its backend has one
 * server per node, {@code node-a} (master) and {@code node-b} (shadow), each health-checked with
 * {@code GET /healthz} over TLS on <em>that node's own admin port</em>: 200 only on the node
 * that serves, 503 on the standby. On two machines each server line names its own node's
 * address; here both nodes share 127.0.0.1, and a mapping is replicated (identical on both
 * nodes) and bound only by the active node, so both server lines point at the same
 * 127.0.0.1:listenPort — the design forbids two active nodes, so the port never collides. What
 * shows that HAProxy chooses by health is its own view, read from its stats socket
 * ({@code show stat}): before the kill node-a is UP and carries every connection while node-b
 * is DOWN with none; after the failover node-a is DOWN and node-b is UP and carries the new
 * connections. (On one machine a connection that HAProxy still sends to node-a in the moment
 * before its checks fail lands on the new active node's socket too; on two machines it is
 * refused and HAProxy's {@code retries}/{@code option redispatch} move it to node-b.)
 */
class HaproxyFailoverIT {

    private static final Path HAPROXY = Path.of("/usr/sbin/haproxy");
    private static final Duration ATTEMPT_EVERY = Duration.ofMillis(20);
    private static final Duration LOOP_LIMIT = Duration.ofSeconds(60);
    private static final int MAX_ATTEMPTS = 3000;
    private static final int SUCCESSES_AFTER_FAILOVER = 50;

    private final NodeProcess.Fleet fleet = new NodeProcess.Fleet();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private ServerSocket backend;
    private Process haproxy;
    private ClientLoop loop;

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (loop != null) {
                loop.stop();
            }
            if (haproxy != null && haproxy.isAlive()) {
                haproxy.destroyForcibly();
                haproxy.waitFor(30, TimeUnit.SECONDS);
            }
            if (backend != null) {
                backend.close();
            }
            threads.shutdownNow();
            threads.awaitTermination(30, TimeUnit.SECONDS);
        } finally {
            fleet.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The backend behind the mapping: answers each line with "echo: LINE". */
    private int startEchoBackend() throws IOException {
        backend = new ServerSocket();
        backend.bind(new InetSocketAddress("127.0.0.1", 0));
        threads.submit(() -> {
            while (!backend.isClosed()) {
                Socket s;
                try {
                    s = backend.accept();
                } catch (IOException e) {
                    return null; // closed by tearDown
                }
                threads.submit(() -> {
                    try (s) {
                        s.setSoTimeout(5000);
                        String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                                .readLine();
                        if (line != null) {
                            s.getOutputStream().write(("echo: " + line + "\n").getBytes(StandardCharsets.UTF_8));
                        }
                    }
                    return null;
                });
            }
            return null;
        });
        return backend.getLocalPort();
    }

    /** Sends one line through host:port and expects its echo; throws with what went wrong. */
    private static void roundTrip(int port, String line) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(3000);
            OutputStream out = s.getOutputStream();
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String answer = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            if (!("echo: " + line).equals(answer)) {
                throw new IOException("answer: " + answer + " (expected: echo: " + line + ")");
            }
        }
    }

    /**
     * haproxy.cfg from the shipped example: frontend on 127.0.0.1:front, node-a/node-b on the
     * mapping's port with each node's admin port as check port, plus a stats socket. Fails when the
     * example no longer has the lines it documents.
     */
    static String haproxyConfig(String example, int front, int listenPort, int adminA, int adminB, Path statsSocket) {
        List<String> out = new ArrayList<>();
        Map<String, Integer> replaced = new HashMap<>();
        for (String line : example.split("\n", -1)) {
            String t = line.strip();
            if (t.equals("global")) {
                out.add(line);
                out.add("    stats socket " + statsSocket + " mode 600 level admin");
                replaced.merge("global", 1, Integer::sum);
            } else if (t.startsWith("bind ")) {
                out.add(line.replaceFirst("bind \\S+", "bind 127.0.0.1:" + front));
                replaced.merge("bind", 1, Integer::sum);
            } else if (t.startsWith("server node-a ") || t.startsWith("server node-b ")) {
                boolean a = t.startsWith("server node-a ");
                String s = line.replaceFirst("(server node-[ab]) \\S+:\\d+", "$1 127.0.0.1:" + listenPort)
                        .replaceFirst("check port \\d+", "check port " + (a ? adminA : adminB));
                assertThat(s).as("example server line: %s", line).contains("check port " + (a ? adminA : adminB))
                        .contains("127.0.0.1:" + listenPort);
                out.add(s);
                replaced.merge(a ? "node-a" : "node-b", 1, Integer::sum);
            } else {
                out.add(line);
            }
        }
        assertThat(replaced).as("lines of haproxy.cfg.example the test adapts")
                .isEqualTo(Map.of("global", 1, "bind", 1, "node-a", 1, "node-b", 1));
        return String.join("\n", out);
    }

    /** One server's row of HAProxy's {@code show stat}. */
    record ServerStat(String status, long sessionsTotal) {}

    /** HAProxy's own view of the backend's servers, from its stats socket. */
    private static Map<String, ServerStat> serverStats(Path socket) throws IOException {
        String csv;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap("show stat\n".getBytes(StandardCharsets.US_ASCII)));
            var bytes = new java.io.ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) >= 0) {
                buf.flip();
                bytes.write(buf.array(), 0, buf.limit());
                buf.clear();
            }
            csv = bytes.toString(StandardCharsets.US_ASCII);
        }
        String[] lines = csv.split("\n");
        List<String> header = List.of(lines[0].replaceFirst("^# ", "").split(","));
        int sv = header.indexOf("svname");
        int status = header.indexOf("status");
        int stot = header.indexOf("stot");
        Map<String, ServerStat> m = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(",", -1);
            if (f.length > status && f[sv].startsWith("node-")) {
                m.put(f[sv], new ServerStat(f[status], Long.parseLong(f[stot])));
            }
        }
        return m;
    }

    /** One connection attempt through HAProxy. */
    record Attempt(long startNanos, long endNanos, boolean ok, String error) {}

    /** Connects through HAProxy every 20 ms (bounded: 60 s, 3000 attempts), recording each outcome. */
    static final class ClientLoop implements Runnable {
        final List<Attempt> attempts = new CopyOnWriteArrayList<>();
        private final int port;
        private volatile boolean stopped;

        ClientLoop(int port) {
            this.port = port;
        }

        void stop() {
            stopped = true;
        }

        @Override
        public void run() {
            long begin = System.nanoTime();
            for (int n = 0; n < MAX_ATTEMPTS && !stopped && System.nanoTime() - begin < LOOP_LIMIT.toNanos(); n++) {
                long start = System.nanoTime();
                String error = null;
                try {
                    roundTrip(port, "ping " + n);
                } catch (IOException e) {
                    error = e.toString();
                }
                attempts.add(new Attempt(start, System.nanoTime(), error == null, error));
                LockSupport.parkNanos(start + ATTEMPT_EVERY.toNanos() - System.nanoTime());
            }
        }

        long successes() {
            return attempts.stream().filter(Attempt::ok).count();
        }

        /** Successful attempts in a row at the end, counting only attempts begun after {@code t}. */
        long trailingSuccessesAfter(long t) {
            long n = 0;
            for (int i = attempts.size() - 1; i >= 0 && attempts.get(i).startNanos() > t && attempts.get(i).ok(); i--) {
                n++;
            }
            return n;
        }
    }

    @Test
    void trafficThroughHaproxyMovesToThePromotedShadowWhenTheMasterIsKilled() throws Exception {
        dev.understudy.dist.testing.ExternalTools.require(HAPROXY, "haproxy");
        PairedNodes pair = PairedNodes.start(fleet, "haproxy");
        int echoPort = startEchoBackend();
        int listenPort = freePort();
        ok("mapping", "add", "--home", pair.masterHome(), "--id", "db", "--listen-host", "0.0.0.0", "--listen-port",
                Integer.toString(listenPort), "--backend-host", "127.0.0.1", "--backend-port", Integer.toString(echoPort));
        await("the master forwards 127.0.0.1:" + listenPort).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions().untilAsserted(() -> roundTrip(listenPort, "direct"));

        Path example = NodeProcess.launcher().getParent().getParent().resolve("etc/haproxy/haproxy.cfg.example");
        Path statsSocket = pair.work().resolve("haproxy.sock");
        int front = freePort();
        Path cfg = pair.work().resolve("haproxy.cfg");
        Files.writeString(cfg, haproxyConfig(Files.readString(example), front, listenPort, pair.masterRun().adminPort(),
                pair.shadowRun().adminPort(), statsSocket));
        Process check = new ProcessBuilder(HAPROXY.toString(), "-c", "-f", cfg.toString()).redirectErrorStream(true).start();
        assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String checkOut = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.exitValue()).as("haproxy -c on the config made from the example: %s", checkOut).isZero();
        Path haproxyLog = pair.work().resolve("haproxy.log");
        haproxy = new ProcessBuilder(HAPROXY.toString(), "-f", cfg.toString(), "-db").redirectErrorStream(true)
                .redirectOutput(haproxyLog.toFile()).start();

        // HAProxy's health checks: the master's /healthz answers 200, the shadow's 503
        await("HAProxy sees node-a UP and node-b DOWN").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions().until(() -> {
                    Map<String, ServerStat> s = serverStats(statsSocket);
                    return s.get("node-a").status().equals("UP") && s.get("node-b").status().startsWith("DOWN");
                });

        loop = new ClientLoop(front);
        Future<?> running = threads.submit(loop);
        await("traffic through HAProxy").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> loop.successes() >= 25 || running.isDone());
        assertThat(loop.attempts).as("attempts before the kill").allMatch(Attempt::ok);
        Map<String, ServerStat> before = serverStats(statsSocket);
        assertThat(before.get("node-a").sessionsTotal()).as("connections via node-a (master)").isGreaterThanOrEqualTo(25);
        assertThat(before.get("node-b").sessionsTotal()).as("connections via node-b (shadow)").isZero();

        long killedAt = System.nanoTime();
        assertThat(pair.master().kill()).as("SIGKILL").isEqualTo(137);
        await("traffic flows again through HAProxy after the failover").atMost(LOOP_LIMIT)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> loop.trailingSuccessesAfter(killedAt) >= SUCCESSES_AFTER_FAILOVER || running.isDone());
        loop.stop();
        running.get(30, TimeUnit.SECONDS);
        assertThat(loop.trailingSuccessesAfter(killedAt)).as("successful connections in a row after the kill")
                .isGreaterThanOrEqualTo(SUCCESSES_AFTER_FAILOVER);

        Map<String, ServerStat> after = serverStats(statsSocket);
        assertThat(after.get("node-a").status()).as("node-a after the kill").startsWith("DOWN");
        assertThat(after.get("node-b").status()).as("node-b after the failover").isEqualTo("UP");
        assertThat(after.get("node-b").sessionsTotal()).as("connections via node-b after the failover")
                .isGreaterThanOrEqualTo(SUCCESSES_AFTER_FAILOVER / 2);
        JsonNode shadow = ok("status", "--home", pair.shadowHome(), "--json").json();
        assertThat(shadow.path("role").asText()).isEqualTo("master");
        assertThat(shadow.path("epoch").asLong()).isEqualTo(2);

        report(loop.attempts, killedAt, before, after);
    }

    /** Prints the failure window: first failed connection after the kill to the first success after it. */
    private static void report(List<Attempt> attempts, long killedAt, Map<String, ServerStat> before,
            Map<String, ServerStat> after) {
        List<Attempt> sinceKill = attempts.stream().filter(a -> a.endNanos() >= killedAt).toList();
        Attempt firstFailure = sinceKill.stream().filter(a -> !a.ok()).findFirst().orElse(null);
        long failures = sinceKill.stream().filter(a -> !a.ok()).count();
        long slowestOk = sinceKill.stream().filter(Attempt::ok).mapToLong(a -> a.endNanos() - a.startNanos()).max().orElse(0);
        StringBuilder r = new StringBuilder("HAProxy failover: ").append(attempts.size()).append(" attempts every ")
                .append(ATTEMPT_EVERY.toMillis()).append(" ms; ").append(failures).append(" failed after the SIGKILL");
        if (firstFailure != null) {
            Attempt recovered = sinceKill.stream().filter(a -> a.ok() && a.startNanos() > firstFailure.startNanos())
                    .findFirst().orElseThrow();
            r.append("; connections failed for ").append(ms(recovered.startNanos() - firstFailure.startNanos()))
                    .append(" ms (first failure ").append(ms(firstFailure.startNanos() - killedAt))
                    .append(" ms after the kill: ").append(firstFailure.error()).append("; first success after it began ")
                    .append(ms(recovered.startNanos() - killedAt)).append(" ms after the kill and completed ")
                    .append(ms(recovered.endNanos() - killedAt)).append(" ms after it: HAProxy may hold a connection")
                    .append(" while it retries, so the latter is the interruption a client sees)");
        } else {
            r.append("; no connection failed");
        }
        if (firstFailure != null) {
            r.append("\n  attempts around the failover (start and end relative to the kill, ms):");
            sinceKill.stream().limit(failures + 6).forEach(a -> r.append("\n    ").append(ms(a.startNanos() - killedAt))
                    .append(" .. ").append(ms(a.endNanos() - killedAt)).append(a.ok() ? " ok" : " FAILED " + a.error()));
            r.append("\n ");
        }
        r.append("; slowest successful connection since the kill ").append(ms(slowestOk)).append(" ms")
                .append("; HAProxy servers before ").append(before).append(", after ").append(after);
        System.out.println(r);
    }

    private static String ms(long nanos) {
        return String.format("%.1f", nanos / 1e6);
    }
}
