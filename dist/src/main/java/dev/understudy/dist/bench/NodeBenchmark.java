package dev.understudy.dist.bench;

import dev.understudy.common.clock.Clock;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.store.ConfigStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One real node process holding many mappings: start to ready, its peak resident memory, and the wall
 * time of everyday CLI commands against it (each a fresh `understudy` process, as an operator runs it).
 */
public final class NodeBenchmark {

    private NodeBenchmark() {}

    /**
     * @param peakRssKiB  the node's peak resident set (VmHWM) after its starts and the CLI runs, in KiB
     * @param localSocket whether the CLI commands went over the local admin socket
     */
    public record Result(int mappings, Percentiles startToReady, long peakRssKiB, Percentiles status,
                         Percentiles configPut, boolean localSocket) {}

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
        long[] status = new long[cliRuns];
        long[] put = new long[cliRuns];
        long rss = -1;
        boolean local = false;
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
            local = Files.exists(new NodeHome(node.home()).adminSocket());
            for (int i = 0; i < cliRuns; i++) {
                long t0 = clock.nanoTime();
                node.cli("status");
                status[i] = clock.nanoTime() - t0;
                long t1 = clock.nanoTime();
                node.cli("config", "put", "settings", "motd", "\"bench " + i + "\"");
                put[i] = clock.nanoTime() - t1;
            }
            rss = peakRssKiB(node.pid());
            node.stop();
        } finally {
            node.destroy();
        }
        return new Result(mappings, Percentiles.ofNanos(ready), rss, Percentiles.ofNanos(status),
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
