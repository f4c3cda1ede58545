package dev.understudy.dist.bench;

import dev.understudy.common.clock.Clock;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * HAProxy in TCP mode in front of the benchmark's backends, for comparison in the same run: one thread,
 * as the connector under test has one relaying thread. Started in the foreground ({@code -db}) and
 * stopped by its pid.
 */
final class HaproxyProcess implements AutoCloseable {

    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Process process;
    private final Path config;
    private final int bulkPort;
    private final int smallPort;

    private HaproxyProcess(Process process, Path config, int bulkPort, int smallPort) {
        this.process = process;
        this.config = config;
        this.bulkPort = bulkPort;
        this.smallPort = smallPort;
    }

    /** HAProxy forwarding a port to {@code sinkPort} and one to {@code echoPort}; null when it is not installed. */
    static HaproxyProcess startIfInstalled(int sinkPort, int echoPort) throws IOException {
        Path exe = null;
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "haproxy");
            if (Files.isExecutable(p)) {
                exe = p;
                break;
            }
        }
        if (exe == null) {
            return null;
        }
        int bulk = ForwardingBenchmark.freePort();
        int small = ForwardingBenchmark.freePort();
        Path cfg = Files.createTempFile("understudy-bench-haproxy-", ".cfg");
        Files.writeString(cfg, String.join("\n",
                "global", "  nbthread 1", "  maxconn 4096",
                "defaults", "  mode tcp", "  timeout connect 5s", "  timeout client 60s", "  timeout server 60s",
                "listen bulk", "  bind 127.0.0.1:" + bulk, "  server sink 127.0.0.1:" + sinkPort,
                "listen small", "  bind 127.0.0.1:" + small, "  server echo 127.0.0.1:" + echoPort, ""));
        Process p = new ProcessBuilder(exe.toString(), "-db", "-f", cfg.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        HaproxyProcess h = new HaproxyProcess(p, cfg, bulk, small);
        Clock clock = Clock.system();
        long deadline = clock.nanoTime() + START_TIMEOUT_NANOS;
        while (!(accepts(bulk) && accepts(small))) {
            if (!p.isAlive() || clock.nanoTime() > deadline) {
                h.close();
                throw new IOException("haproxy: did not listen on 127.0.0.1:" + bulk + " and :" + small + " within 10 s"
                        + " (exit " + (p.isAlive() ? "none" : p.exitValue()) + "; check `haproxy -c -f` on " + cfg + ")");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return h;
    }

    int bulkPort() {
        return bulkPort;
    }

    int smallPort() {
        return smallPort;
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(config);
    }
}
