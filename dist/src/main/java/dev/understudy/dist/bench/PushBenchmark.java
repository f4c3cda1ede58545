package dev.understudy.dist.bench;

import dev.understudy.common.concurrent.Futures;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.alert.Alert;
import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.Role;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.Head;
import dev.understudy.common.store.StoreOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Replication benchmarks on a local pair over loopback TLS (DESIGN.md §8): a change committed on
 * the master until it is durable on the shadow (p50/p99), replicated changes per second with
 * concurrent writers, and a full transfer of many mappings to a newly attached shadow.
 */
public final class PushBenchmark {

    static final char[] PASSWORD = "bench-password-not-secret".toCharArray();

    /** Figures of one run. */
    public record Result(Percentiles latency, double changesPerSecond, int writers, int throughputChanges) {}

    /** Figures of a full transfer. */
    /**
     * @param pushFailures PUSH_FAILED errors the master raised during the transfers; each transfer progressed
     *                     to completion, so any is a false alarm
     */
    public record FullSyncResult(int mappings, long documentBytes, Percentiles transfer, Percentiles attach,
                                 long pushFailures) {}

    private PushBenchmark() {}

    /** Runs the push benchmarks in temporary homes under {@code dir}. */
    public static Result push(Path dir, int latencySamples, int throughputChanges, int writers) throws Exception {
        Duration hb = Duration.ofMillis(200);
        try (LocalPair.Node master = LocalPair.Node.init(dir.resolve("master"), "bench-master", Role.MASTER, PASSWORD,
                StoreOptions.defaults(), hb, Duration.ofSeconds(2)).start();
             LocalPair.Node shadow = LocalPair.Node.init(dir.resolve("shadow"), "bench-shadow", Role.SHADOW, PASSWORD,
                     StoreOptions.defaults(), hb, Duration.ofSeconds(2)).start()) {
            shadow.attachTo(master, PASSWORD, Duration.ofSeconds(30));
            Durable durable = new Durable();
            shadow.store().addListener(durable::reached);
            Clock clock = Clock.system();
            // warm-up, not measured
            for (int i = 0; i < Math.min(500, latencySamples); i++) {
                long rev = master.store().commit(change(i)).revision();
                Futures.within(durable.await(rev), Duration.ofSeconds(10), "the shadow storing revision " + rev);
            }
            long[] samples = new long[latencySamples];
            for (int i = 0; i < latencySamples; i++) {
                long t0 = clock.nanoTime();
                long rev = master.store().commit(change(10_000 + i)).revision();
                Futures.within(durable.await(rev), Duration.ofSeconds(10), "the shadow storing revision " + rev);
                samples[i] = clock.nanoTime() - t0;
            }
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            AtomicInteger next = new AtomicInteger();
            long t0 = clock.nanoTime();
            List<Future<?>> jobs = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                jobs.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < throughputChanges) {
                        master.store().commit(change(100_000 + i));
                    }
                    return null;
                }));
            }
            for (Future<?> j : jobs) {
                Futures.within(j, Duration.ofMinutes(5), "a writer");
            }
            pool.shutdown();
            Futures.within(durable.await(master.store().revision()), Duration.ofMinutes(5), "the shadow catching up");
            double secs = (clock.nanoTime() - t0) / 1e9;
            return new Result(Percentiles.ofNanos(samples), throughputChanges / secs, writers, throughputChanges);
        }
    }

    /** A master holding {@code mappings} mappings; each run attaches a fresh shadow and times the transfer. */
    public static FullSyncResult fullSync(Path dir, int mappings, int runs) throws Exception {
        Duration hb = Duration.ofMillis(200);
        try (LocalPair.Node master = LocalPair.Node.init(dir.resolve("master"), "bench-master", Role.MASTER, PASSWORD,
                StoreOptions.defaults(), hb, Duration.ofSeconds(2)).start()) {
            for (int i = 0; i < mappings; i += 1000) {
                List<ChangeOp> ops = new ArrayList<>();
                for (int k = i; k < Math.min(mappings, i + 1000); k++) {
                    ops.add(ChangeOp.put(ConfigCollection.MAPPINGS, "m" + k, mapping(k)));
                }
                master.store().commit(new ChangeSet(ops));
            }
            long bytes = Json.toBytes(master.store().snapshot().document().toJson()).length;
            long[] samples = new long[runs];
            long[] transfers = new long[runs];
            Clock clock = Clock.system();
            long falseFailures = 0;
            for (int r = 0; r < runs; r++) {
                Path sdir = dir.resolve("shadow-" + r);
                try (LocalPair.Node shadow = LocalPair.Node.init(sdir, "bench-shadow-" + r, Role.SHADOW, PASSWORD,
                        StoreOptions.defaults(), hb, Duration.ofSeconds(2)).start()) {
                    long failedBefore = pushFailures(master);
                    long t0 = clock.nanoTime();
                    shadow.attachTo(master, PASSWORD, Duration.ofMinutes(2));
                    samples[r] = clock.nanoTime() - t0;
                    falseFailures += pushFailures(master) - failedBefore;
                    transfers[r] = shadow.ha().lastTransferNanos();
                }
                // the master keeps one pairing: forget it before the next fresh shadow attaches
                Futures.within(master.ha().detach(false), Duration.ofSeconds(10), "detach");
                deleteTree(sdir);
            }
            return new FullSyncResult(mappings, bytes, Percentiles.ofNanos(transfers), Percentiles.ofNanos(samples),
                    falseFailures);
        }
    }

    /** How often the master has raised PUSH_FAILED as an error, resolved ones included. */
    static long pushFailures(LocalPair.Node master) {
        return master.alerts().list(true).stream()
                .filter(a -> a.category() == AlertCategory.PUSH_FAILED && a.severity() == Severity.ERROR)
                .mapToLong(Alert::count).sum();
    }

    static ObjectNode mapping(int k) {
        return Json.object().put("listenHost", "127.0.0.1").put("listenPort", 1024 + (k % 60000))
                .put("listenHost", "127." + ((k / 60000) + 1) + "." + ((k / 250) % 250) + "." + (1 + k % 250))
                .put("backendHost", "10.0." + ((k / 250) % 250) + "." + (1 + k % 250)).put("backendPort", 8080)
                .put("description", "benchmark mapping " + k);
    }

    static ChangeSet change(int i) {
        return ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "bench-" + (i % 1000), Json.mapper().valueToTree(i)));
    }

    /** Deletes {@code p} and everything below it (benchmark homes); nothing if it does not exist. */
    public static void deleteTree(Path p) throws java.io.IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        }
    }

    /** Completes futures once the shadow's durable head reaches their revision. */
    static final class Durable {
        private final TreeMap<Long, CompletableFuture<Void>> waiting = new TreeMap<>();
        private long reached;

        synchronized void reached(Head h) {
            reached = Math.max(reached, h.revision());
            Map<Long, CompletableFuture<Void>> done = waiting.headMap(reached, true);
            done.values().forEach(f -> f.complete(null));
            done.clear();
        }

        synchronized CompletableFuture<Void> await(long revision) {
            if (reached >= revision) {
                return CompletableFuture.completedFuture(null);
            }
            return waiting.computeIfAbsent(revision, r -> new CompletableFuture<>());
        }
    }
}
