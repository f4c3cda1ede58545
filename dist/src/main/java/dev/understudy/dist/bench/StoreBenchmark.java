package dev.understudy.dist.bench;

import dev.understudy.common.concurrent.Futures;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import java.time.Duration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Measures the config store on this machine's disk: durable commits per second (with fsync, one
 * thread and several threads sharing fsyncs through group commit) and the time to open a large
 * store. Used by {@code understudy bench}; runnable on its own with {@link #main(String[])}.
 */
public final class StoreBenchmark {

    private StoreBenchmark() {}

    /**
     * Durable commit throughput and latency.
     *
     * @param threads          committing threads
     * @param changes          change sets committed in total (one op each)
     * @param changesPerSecond committed change sets per second of wall time
     * @param medianMillis     median commit latency (call to durable return)
     * @param p99Millis        99th percentile commit latency
     * @param maxMillis        slowest commit
     */
    public record CommitResult(int threads, int changes, double seconds, double changesPerSecond,
                               double medianMillis, double p99Millis, double maxMillis) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "commit x%d threads: %d changes in %.2f s = %.0f changes/s;"
                    + " latency median %.3f ms, p99 %.3f ms, max %.3f ms",
                    threads, changes, seconds, changesPerSecond, medianMillis, p99Millis, maxMillis);
        }
    }

    /**
     * Time to open (recover) a store holding {@code mappings} mappings.
     *
     * @param changeSetSize mappings per committed change set
     * @param buildSeconds  time to commit them all
     * @param diskBytes     size of the store directory
     * @param openMillis    every timed open, in order
     */
    public record OpenResult(int mappings, int changeSetSize, double buildSeconds, long diskBytes,
                             List<Double> openMillis, double medianMillis, double maxMillis) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "open with %d mappings (%d change sets of %d, %.1f MB on disk, built in %.1f s):"
                    + " median %.0f ms, max %.0f ms over %d runs",
                    mappings, mappings / changeSetSize, changeSetSize, diskBytes / 1e6, buildSeconds,
                    medianMillis, maxMillis, openMillis.size());
        }
    }

    /** Commits {@code changes} single-op change sets from {@code threads} threads into a new store in {@code dir}. */
    public static CommitResult commits(Path dir, int changes, int threads, Clock clock) throws IOException {
        if (threads < 1 || changes < threads) {
            throw new IllegalArgumentException("threads: " + threads + " (expected: 1..changes=" + changes + ")");
        }
        requireEmpty(dir);
        long[] latencies = new long[changes];
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (ConfigStore store = ConfigStore.open(dir)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = thread; i < changes; i += threads) {
                        ChangeSet cs = ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "bench-" + i,
                                Json.object().put("thread", thread).put("i", i)));
                        long t0 = clock.nanoTime();
                        store.commit(cs);
                        latencies[i] = clock.nanoTime() - t0;
                    }
                    return null;
                }));
            }
            long t0 = clock.nanoTime();
            start.countDown();
            for (Future<?> f : done) {
                Futures.within(f, Duration.ofMinutes(10), "a committing thread");
            }
            double seconds = (clock.nanoTime() - t0) / 1e9;
            Arrays.sort(latencies);
            return new CommitResult(threads, changes, seconds, changes / seconds, millis(latencies[changes / 2]),
                    millis(latencies[(int) Math.ceil(changes * 0.99) - 1]), millis(latencies[changes - 1]));
        } catch (Exception e) {
            throw e instanceof IOException io ? io : new IOException("benchmark failed: " + e, e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** As {@link #commits(Path, int, int, Clock)} with the system clock. */
    public static CommitResult commits(Path dir, int changes, int threads) throws IOException {
        return commits(dir, changes, threads, Clock.system());
    }

    /**
     * Commits {@code mappings} mappings in change sets of {@code changeSetSize} into a new store in
     * {@code dir}, closes it, then times {@code runs} opens.
     */
    public static OpenResult open(Path dir, int mappings, int changeSetSize, int runs, Clock clock) throws IOException {
        requireEmpty(dir);
        long t0 = clock.nanoTime();
        try (ConfigStore store = ConfigStore.open(dir)) {
            for (int first = 0; first < mappings; first += changeSetSize) {
                List<ChangeOp> ops = new ArrayList<>(changeSetSize);
                for (int i = first; i < Math.min(mappings, first + changeSetSize); i++) {
                    ops.add(ChangeOp.put(ConfigCollection.MAPPINGS, "m" + i, mapping(i)));
                }
                store.commit(new ChangeSet(ops));
            }
        } catch (InvalidChangeException e) {
            throw new IllegalStateException("benchmark mappings must be valid: " + e.getMessage(), e);
        }
        double build = (clock.nanoTime() - t0) / 1e9;
        List<Double> times = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            long s = clock.nanoTime();
            try (ConfigStore store = ConfigStore.open(dir)) {
                if (store.read(d -> d.entries(ConfigCollection.MAPPINGS).size()) != mappings) {
                    throw new IllegalStateException("reopened store lost mappings");
                }
                times.add(millis(clock.nanoTime() - s));
            }
        }
        double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new OpenResult(mappings, changeSetSize, build, size(dir), List.copyOf(times), sorted[sorted.length / 2],
                sorted[sorted.length - 1]);
    }

    /** What {@code understudy bench} and {@link #main} run: 1 and 8 committing threads, then a 100,000-mapping open. */
    public record Result(CommitResult oneThread, CommitResult eightThreads, OpenResult open) {}

    /** The standard run, in fresh subdirectories of {@code dir}. */
    public static Result run(Path dir, int changes, Clock clock) throws IOException {
        CommitResult one = commits(dir.resolve("commit-1"), changes, 1, clock);
        CommitResult eight = commits(dir.resolve("commit-8"), changes * 4, 8, clock);
        OpenResult open = open(dir.resolve("open"), 100_000, 1_000, 5, clock);
        return new Result(one, eight, open);
    }

    private static ObjectNode mapping(int i) {
        // two listen addresses, so 100,000 mappings fit in the port range without conflicts
        return Json.object().put("listenHost", "10.0.0." + (1 + i / 50_000)).put("listenPort", 10_000 + i % 50_000)
                .put("backendHost", "backend-" + (i % 997) + ".internal").put("backendPort", 1 + i % 65_535)
                .put("description", "benchmark mapping " + i);
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    private static void requireEmpty(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw new IOException(dir + ": not empty (expected: a new directory for the benchmark store)");
                }
            }
        }
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** {@code StoreBenchmark [DIR [CHANGES]]}: runs in DIR (default: a temporary directory, deleted after). */
    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("understudy-store-bench");
        int changes = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        try {
            Result r = run(dir, changes, Clock.system());
            System.out.println(r.oneThread());
            System.out.println(r.eightThreads());
            System.out.println(r.open());
        } finally {
            if (args.length == 0) {
                deleteTree(dir);
            }
        }
    }
}
