package dev.understudy.dist.bench;

import dev.understudy.common.clock.Clock;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.dist.client.AdminClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Real node processes: one holding many mappings (start to ready, until its admin API answers, its peak
 * resident memory) and the wall time of everyday CLI commands (each a fresh `understudy` process, as an
 * operator runs it) against a node with an empty configuration.
 */
public final class NodeBenchmark {

    private static final long ANSWER_TIMEOUT_NANOS = 300_000_000_000L;

    private NodeBenchmark() {}

    /**
     * @param readyToAnsweringMillis from the last start's "ready" to its admin API answering status
     * @param peakRssKiB  the node's peak resident set (VmHWM) once it answers, in KiB
     * @param localSocket whether the CLI commands went over the local admin socket
     */
    public record Result(int mappings, Percentiles startToReady, long readyToAnsweringMillis, long peakRssKiB,
                         Percentiles status, Percentiles configPut, boolean localSocket) {}

    /**
     * Starts a node holding {@code mappings} mappings {@code starts} times (start to the "ready" line), waits
     * until its admin API answers (every listener bound), reads its peak RSS; then times {@code cliRuns} CLI
     * commands against a second node with an empty configuration, so that they measure the CLI, not a node
     * still busy binding 100,000 listeners.
     */
    public static Result run(Path launcher, Path dir, int mappings, int starts, int cliRuns) throws Exception {
        Files.createDirectories(dir);
        Path password = dir.resolve("admin-password");
        AtomicFiles.write(password, "bench-node-password-not-secret\n".getBytes(StandardCharsets.US_ASCII),
                AtomicFiles.OWNER_ONLY);
        BenchNode node = new BenchNode(launcher, dir.resolve("node"));
        node.init("bench-node", "master", password);
        try (ConfigStore store = ConfigStore.open(new NodeHome(node.home()).configDir())) {
            for (int i = 0; i < mappings; i += 1000) {
                List<ChangeOp> ops = new ArrayList<>();
                for (int k = i; k < Math.min(mappings, i + 1000); k++) {
                    ops.add(ChangeOp.put(ConfigCollection.MAPPINGS, "m" + k, PushBenchmark.mapping(k)));
                }
                store.commit(new ChangeSet(ops));
            }
        }
        Clock clock = Clock.system();
        long[] ready = new long[starts];
        long answering;
        long rss;
        try {
            for (int s = 0; s < starts; s++) {
                long t0 = clock.nanoTime();
                node.start();
                node.awaitReady();
                ready[s] = clock.nanoTime() - t0;
                if (s < starts - 1) {
                    node.stop();
                }
            }
            long t0 = clock.nanoTime();
            AdminClient c = AdminClient.forHome(new NodeHome(node.home()), node.home().toString());
            long deadline = t0 + ANSWER_TIMEOUT_NANOS;
            while (true) {
                try {
                    c.ok(c.get("/api/v1/status"));
                    break;
                } catch (IOException e) {
                    if (clock.nanoTime() > deadline) {
                        throw new IOException("node with " + mappings + " mappings: admin API not answering within "
                                + ANSWER_TIMEOUT_NANOS / 1_000_000_000L + " s of ready: " + e.getMessage(), e);
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
                }
            }
            answering = clock.nanoTime() - t0;
            rss = peakRssKiB(node.pid());
            node.stop();
        } finally {
            node.destroy();
        }

        BenchNode small = new BenchNode(launcher, dir.resolve("cli-node"));
        small.init("bench-cli", "master", password);
        long[] status = new long[cliRuns];
        long[] put = new long[cliRuns];
        boolean local;
        try {
            small.start();
            small.awaitReady();
            local = Files.exists(new NodeHome(small.home()).adminSocket());
            for (int i = 0; i < cliRuns; i++) {
                long t0 = clock.nanoTime();
                small.cli("status");
                status[i] = clock.nanoTime() - t0;
                long t1 = clock.nanoTime();
                small.cli("config", "put", "settings", "motd", "\"bench " + i + "\"");
                put[i] = clock.nanoTime() - t1;
            }
            small.stop();
        } finally {
            small.destroy();
        }
        return new Result(mappings, Percentiles.ofNanos(ready), answering / 1_000_000L, rss, Percentiles.ofNanos(status),
                Percentiles.ofNanos(put), local);
    }

    /** VmHWM of a Linux process, in KiB; -1 where /proc does not tell. */
    static long peakRssKiB(long pid) throws IOException {
        Path p = Path.of("/proc", Long.toString(pid), "status");
        if (!Files.exists(p)) {
            return -1;
        }
        for (String line : Files.readAllLines(p, StandardCharsets.US_ASCII)) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }
}
