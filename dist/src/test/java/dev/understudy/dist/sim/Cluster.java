package dev.understudy.dist.sim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.Role;
import dev.understudy.dist.bench.PushBenchmark;
import dev.understudy.ha.failover.FailoverAction;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverState;
import dev.understudy.ha.failover.FailoverTimings;
import dev.understudy.ha.failover.HaState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;

/**
 * One schedule: a master and a shadow, a client, a status sampler and a nemesis on a simulated clock,
 * all from one seed; then heal, a bounded quiet period and the invariant checks.
 */
final class Cluster {

    static final long MS = 1_000_000L;
    static final long SEC = 1_000 * MS;
    static final FailoverTimings TIMINGS = FailoverTimings.of(Duration.ofMillis(100), Duration.ofSeconds(1),
            Duration.ofSeconds(2));
    static final long WARMUP = 1_500 * MS;
    static final long FAULT_PHASE = 12 * SEC;
    static final long MAX_QUIET = 20 * SEC;
    static final long CLIENT_TIMEOUT = 5 * SEC;

    enum Kind { CRASH, CRASH_TORN, PAUSE, PARTITION, ONE_WAY, DROP, DELAY, SKEW, SWITCH }

    /** One fault of the schedule; {@code node} is the target node (ONE_WAY: the sender whose data waits). */
    record Fault(int index, Kind kind, int node, long start, long duration, double amount) {
        @Override
        public String toString() {
            return "#" + index + " " + kind + " n" + (node + 1) + " at " + start / MS + " ms for " + duration / MS + " ms"
                    + (amount > 0 ? String.format(" (%.3f)", amount) : "");
        }
    }

    enum Outcome { PENDING, ACK_REPLICATED, ACK_NOT_REPLICATED, REJECTED, REFUSED, INDETERMINATE }

    /** One client write: {@code settings <key> = id}. */
    static final class Write {
        final int id;
        final SimNode target;
        final long start;
        long end = -1;
        Outcome outcome = Outcome.PENDING;
        SimNode committedOn;
        long revision = -1;
        long epoch = -1;
        long committedAt = -1;
        /** Committed by a master serving alone with no shadow connection at all. */
        boolean alone;

        Write(int id, SimNode target, long start) {
            this.id = id;
            this.target = target;
            this.start = start;
        }

        String key() {
            return "w" + id;
        }

        @Override
        public String toString() {
            return key() + "->" + target + " " + outcome + (committedOn == null ? "" : " (r" + revision + " e" + epoch
                    + " at " + committedAt / MS + " ms)");
        }
    }

    record Sample(SimNode node, long at, long epoch, HaState state, boolean active) {
        @Override
        public String toString() {
            return node + "@" + at / MS + "ms e" + epoch + " " + state + (active ? " active" : "");
        }
    }

    record Promotion(SimNode node, long at, long epoch, String reason) {}

    private record Task(long at, long seq, Runnable r) {}

    final long seed;
    final Random netRnd;
    private final Random clientRnd;
    private final Random sampleRnd;
    final Net net = new Net(this);
    final SimNode[] nodes = new SimNode[2];
    final List<Fault> faults;
    private final PriorityQueue<Task> queue = new PriorityQueue<>(
            Comparator.comparingLong(Task::at).thenComparingLong(Task::seq));
    private long seq;
    private long now = 1_000 * SEC;
    private final long t0 = now;
    private boolean clientOn = true;
    private SimNode believedMaster;
    private int writeIds;
    final List<Write> writes = new ArrayList<>();
    final List<Sample> samples = new ArrayList<>();
    final List<Promotion> promotions = new ArrayList<>();
    final List<String> trace;
    /** Intervals [start, end] in which a fault touched node 0, node 1, or the link (index 2). */
    final List<List<long[]>> disturbed = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    /** Highest revision acknowledged by a shadow, per (node, epoch). */
    final Map<String, Long> ackedInEpoch = new HashMap<>();
    /** Epoch -> node that committed in it. */
    final Map<Long, SimNode> writerOfEpoch = new HashMap<>();
    final List<String> violations = new ArrayList<>();
    final Path dir;
    int failovers;
    long healedAt;
    long convergedAt = -1;
    Checker.Counts counts;

    Cluster(long seed, Set<Integer> dropFaults, boolean tracing, Path base) {
        this.seed = seed;
        Random scheduleRnd = new Random(seed);
        this.netRnd = new Random(seed * 31 + 1);
        this.clientRnd = new Random(seed * 31 + 2);
        this.sampleRnd = new Random(seed * 31 + 3);
        this.trace = tracing ? new ArrayList<>() : null;
        List<Fault> all = schedule(scheduleRnd);
        this.faults = all.stream().filter(f -> !dropFaults.contains(f.index())).toList();
        try {
            this.dir = Files.createTempDirectory(base, "sim-" + seed + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 0; i < 2; i++) {
            nodes[i] = new SimNode(this, "n" + (i + 1), i, dir.resolve("n" + (i + 1)), TIMINGS);
        }
        nodes[0].peer(nodes[1]);
        nodes[1].peer(nodes[0]);
        nodes[0].disk.role = Role.MASTER;
        nodes[1].disk.role = Role.SHADOW;
        nodes[0].disk.epoch = 1;
        nodes[1].disk.epoch = 1;
    }

    static List<Fault> schedule(Random r) {
        List<Fault> out = new ArrayList<>();
        Kind[] kinds = Kind.values();
        long t = WARMUP;
        while (t < WARMUP + FAULT_PHASE) {
            Kind k = kinds[r.nextInt(kinds.length)];
            int node = r.nextInt(2);
            long d = switch (k) {
                case CRASH, CRASH_TORN -> 100 * MS + r.nextInt(3000) * MS;
                case PAUSE -> 200 * MS + r.nextInt(2800) * MS;
                case PARTITION, ONE_WAY -> 300 * MS + r.nextInt(3700) * MS;
                case DROP, DELAY -> 500 * MS + r.nextInt(2500) * MS;
                case SKEW -> 100 * MS + r.nextInt(900) * MS;
                case SWITCH -> 0;
            };
            double amount = switch (k) {
                case DROP -> 0.02 + r.nextDouble() * 0.3;
                case DELAY -> 10 + r.nextInt(600);
                case SKEW -> 0.97 + r.nextDouble() * 0.06;
                default -> 0;
            };
            out.add(new Fault(out.size(), k, node, t, d, amount));
            t += 300 * MS + r.nextInt(2200) * MS;
        }
        return out;
    }

    // ------------------------------------------------------------------ the simulated thread

    long now() {
        return now;
    }

    void at(long t, Runnable r) {
        queue.add(new Task(Math.max(t, now), seq++, r));
    }

    private void runUntil(long t) {
        while (!queue.isEmpty() && queue.peek().at() <= t) {
            Task task = queue.poll();
            now = task.at();
            task.r().run();
        }
        now = t;
    }

    void trace(String s) {
        if (trace != null) {
            trace.add(String.format("%8d ms  %s", (now - t0) / MS, s));
        }
    }

    // ------------------------------------------------------------------ callbacks from the nodes

    void transition(SimNode n, FailoverState before, FailoverState after, FailoverEvent e) {
        if (trace != null && (before.state() != after.state() || before.epoch() != after.epoch())) {
            trace(n + " " + before.state() + " e" + before.epoch() + " -> " + after.state() + " e" + after.epoch() + " on "
                    + e.getClass().getSimpleName() + ": " + after.reason());
        }
    }

    void roleChange(SimNode n, FailoverAction.RecordRoleChange c) {
        trace(n + " ROLE " + c.from() + " -> " + c.to() + " in epoch " + c.epoch() + ": " + c.reason());
        if (c.to() == Role.MASTER) {
            failovers++;
            if (!c.reason().startsWith("planned") && !c.reason().startsWith("forced")) {
                promotions.add(new Promotion(n, now, c.epoch(), c.reason()));
            }
        }
    }

    void maybeSample(SimNode n) {
        if (sampleRnd.nextInt(4) == 0) {
            sample(n);
        }
    }

    private void sample(SimNode n) {
        samples.add(new Sample(n, now, n.publishedEpoch, n.published, n.servingNow()));
    }

    void committed(SimNode n, Write w, long revision, long epoch, boolean alone) {
        w.committedOn = n;
        w.revision = revision;
        w.epoch = epoch;
        w.committedAt = now;
        w.alone = alone;
        SimNode other = writerOfEpoch.putIfAbsent(epoch, n);
        if (other != null && other != n) {
            violations.add("(1) two nodes accepted writes in epoch " + epoch + ": " + other + " and " + n + " (" + w + ")");
        }
    }

    void acked(SimNode n, long revision, long epoch) {
        ackedInEpoch.merge(n.id + "/" + epoch, revision, Math::max);
    }

    void respond(SimNode n, Write w, Outcome o) {
        at(now + latency(), () -> {
            if (w.outcome == Outcome.PENDING) {
                w.outcome = o;
                w.end = now;
                if (o == Outcome.REJECTED) {
                    believedMaster = other(n);
                } else {
                    believedMaster = n;
                }
            }
        });
    }

    private long latency() {
        return 200_000 + clientRnd.nextInt(1_800_000);
    }

    SimNode other(SimNode n) {
        return n == nodes[0] ? nodes[1] : nodes[0];
    }

    // ------------------------------------------------------------------ client, sampler, nemesis

    private void client() {
        if (!clientOn) {
            return;
        }
        SimNode target = believedMaster != null && clientRnd.nextInt(5) != 0 ? believedMaster : nodes[clientRnd.nextInt(2)];
        Write w = new Write(++writeIds, target, now);
        writes.add(w);
        at(now + latency(), () -> {
            if (!target.up()) {
                w.outcome = Outcome.REFUSED;
                w.end = now;
                believedMaster = other(target);
                return;
            }
            target.deliver(target.incarnation(), () -> target.write(w));
        });
        at(now + CLIENT_TIMEOUT, () -> {
            if (w.outcome == Outcome.PENDING) {
                w.outcome = Outcome.INDETERMINATE;
                w.end = now;
                believedMaster = other(target);
            }
        });
        at(now + 20 * MS + clientRnd.nextInt(130) * MS, this::client);
    }

    private void sampler() {
        for (SimNode n : nodes) {
            if (n.up() && !n.paused()) {
                sample(n);
            }
        }
        at(now + 100 * MS, this::sampler);
    }

    private void disturb(int who, long start, long end) {
        disturbed.get(who).add(new long[] {start, end});
    }

    private void apply(Fault f) {
        SimNode n = nodes[f.node()];
        long end = now + f.duration();
        trace("FAULT " + f);
        switch (f.kind()) {
            case CRASH, CRASH_TORN, SKEW -> {
                if (!n.up()) {
                    return;
                }
                disturb(f.node(), now, end);
                n.crash(f.kind() == Kind.CRASH_TORN);
                long offset = f.kind() == Kind.SKEW ? netRnd.nextLong() >>> 2 : n.now() + SEC;
                double rate = f.kind() == Kind.SKEW ? f.amount() : 1.0;
                at(end, () -> {
                    if (!n.up()) {
                        trace("RESTART " + n);
                        n.start(offset, rate);
                    }
                });
            }
            case PAUSE -> {
                if (!n.up() || n.paused()) {
                    return;
                }
                disturb(f.node(), now, end);
                n.pause();
                at(end, () -> {
                    trace("RESUME " + n);
                    n.resume();
                });
            }
            case PARTITION -> {
                disturb(2, now, end);
                net.setCut(0, 1, true);
                net.setCut(1, 0, true);
                at(end, () -> {
                    net.setCut(0, 1, false);
                    net.setCut(1, 0, false);
                });
            }
            case ONE_WAY -> {
                disturb(2, now, end);
                net.setCut(f.node(), 1 - f.node(), true);
                at(end, () -> net.setCut(f.node(), 1 - f.node(), false));
            }
            case DROP -> {
                disturb(2, now, end);
                net.dropProbability = f.amount();
                at(end, () -> net.dropProbability = 0);
            }
            case DELAY -> {
                disturb(2, now, end);
                net.extraDelayNanos = (long) f.amount() * MS;
                at(end, () -> net.extraDelayNanos = 0);
            }
            case SWITCH -> {
                for (SimNode m : nodes) {
                    if (m.up() && !m.paused() && m.fs.state() == HaState.ACTIVE_PAIRED) {
                        trace("SWITCH-ROLES on " + m);
                        m.handle(new FailoverEvent.SwitchRolesRequested(false));
                        return;
                    }
                }
            }
        }
    }

    private void heal() {
        healedAt = now;
        trace("HEAL");
        clientOn = false;
        net.heal();
        for (SimNode n : nodes) {
            if (!n.up()) {
                n.start(n.now() + SEC, 1.0);
            } else if (n.paused()) {
                n.resume();
            }
        }
    }

    private boolean converged() {
        SimNode a = nodes[0];
        SimNode b = nodes[1];
        if (!a.up() || !b.up()) {
            return false;
        }
        SimNode m = a.fs.state() == HaState.ACTIVE_PAIRED ? a : b.fs.state() == HaState.ACTIVE_PAIRED ? b : null;
        if (m == null) {
            return false;
        }
        SimNode s = other(m);
        return s.fs.state() == HaState.STANDBY && m.servingNow() && m.acceptsWrites() && !s.servingNow()
                && m.store.head().equals(s.store.head());
    }

    // ------------------------------------------------------------------ one run

    /** Runs the schedule and checks it; returns the violations (empty when it passed). */
    List<String> run() {
        try {
            for (SimNode n : nodes) {
                n.start(netRnd.nextLong() >>> 2, 1.0);
            }
            at(now + 200 * MS, this::client);
            at(now, this::sampler);
            for (Fault f : faults) {
                at(t0 + f.start(), () -> apply(f));
            }
            at(t0 + WARMUP + FAULT_PHASE, this::heal);
            runUntil(t0 + WARMUP + FAULT_PHASE);
            int stable = 0;
            long deadline = now + MAX_QUIET;
            while (now < deadline) {
                runUntil(now + 250 * MS);
                boolean pendingWrites = writes.stream().anyMatch(w -> w.outcome == Outcome.PENDING);
                stable = converged() ? stable + 1 : 0;
                if (stable >= 4 && !pendingWrites) {
                    convergedAt = now;
                    break;
                }
            }
            counts = Checker.check(this);
            return violations;
        } finally {
            for (SimNode n : nodes) {
                if (n.up()) {
                    n.crash(false);
                }
            }
            deleteTree(dir);
        }
    }

    /** The final master's settings (empty if none). */
    Set<String> finalKeys() {
        for (SimNode n : nodes) {
            if (n.up() && n.fs.state().serving()) {
                Set<String> keys = new HashSet<>();
                n.store.read(d -> {
                    for (Map.Entry<String, JsonNode> e : d.entries(ConfigCollection.SETTINGS).entrySet()) {
                        keys.add(e.getKey());
                    }
                    return null;
                });
                return keys;
            }
        }
        return Set.of();
    }

    static void deleteTree(Path p) {
        try {
            PushBenchmark.deleteTree(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
