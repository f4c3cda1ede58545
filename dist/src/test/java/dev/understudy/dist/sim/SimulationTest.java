package dev.understudy.dist.sim;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Runs many simulated schedules of a master/shadow pair ({@link Cluster}) and checks the nemesis
 * invariants on each ({@link Checker}). Schedule {@code i} uses seed {@code base + i}; the base seed is
 * printed first ({@code -Dsimulation.seed=S}, default 1; {@code random} for a fresh one). The number of
 * schedules is {@code -Dsimulation.schedules=N} (default 2000); after {@code -Dsimulation.maxFailures} (default 5)
 * failing schedules the rest are skipped. A failing schedule is shrunk to the fewest
 * faults that still fail, and printed with its trace and the one command that replays it:
 * {@code -Dsimulation.replay=SEED [-Dsimulation.drop=i,j]} runs that one schedule with its trace. The run ends
 * with one line {@code simulation: N schedules, V violations, T s}.
 *
 * <p>What the simulation models and what it does not: a pair (no ZooKeeper groups); the HA channel's messages as
 * records (no TLS, framing or pairing; admission is assumed done); a dropped chunk resets the connection (TLS would
 * fail), a cut link holds data until the heal (TCP retransmits); "reorder" exists only across connections (old and
 * new session, peer checks), never within one, as with TCP. The node's loop is a model of HaNode, MasterRole,
 * ShadowRole and PeerChecker (SimNode) around the real cores and store; a change to those adapters must be mirrored
 * there. The bugs put back on purpose and the seeds that caught them are in {@code REINJECTED-BUGS.md} beside this
 * test.
 */
class SimulationTest {

    @Test
    void everyScheduleKeepsTheInvariants() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        root.setLevel(Level.OFF); // the real cores log every role change; thousands of schedules would drown the report
        try {
            String replay = System.getProperty("simulation.replay");
            if (replay != null && !replay.isBlank()) {
                replay(Long.parseLong(replay.trim()), parseDrop(System.getProperty("simulation.drop", "")));
            } else {
                runMany();
            }
        } finally {
            root.setLevel(before);
        }
    }

    /** Seeds beyond the default run that once found a real bug (REINJECTED-BUGS.md): each must pass, and check something. */
    static final long[] FOUND_REAL_BUGS = {8326};

    @Test
    void seedsThatFoundRealBugsStayFixed() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        root.setLevel(Level.OFF);
        Path base = base();
        try {
            for (long seed : FOUND_REAL_BUGS) {
                Cluster c = new Cluster(seed, Set.of(), false, base);
                assertThat(c.run()).as("seed " + seed).isEmpty();
                assertThat(c.counts.unreplicated()).as("seed " + seed + " still writes without replication").isPositive();
                assertThat(c.counts.failovers()).as("seed " + seed + " still fails over").isGreaterThanOrEqualTo(3);
            }
        } finally {
            Cluster.deleteTree(base);
            root.setLevel(before);
        }
    }

    static Path base() throws Exception {
        Path shm = Path.of("/dev/shm");
        Path parent = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        return Files.createTempDirectory(parent, "understudy-sim-");
    }

    private void runMany() throws Exception {
        String given = System.getProperty("simulation.seed", "1").trim();
        long baseSeed = given.equals("random") ? System.nanoTime() & 0xffff_ffffL : Long.parseLong(given);
        int n = Integer.getInteger("simulation.schedules", 2000);
        // shrinking a failure costs a few runs per fault: after this many failing schedules the rest is skipped
        int maxFailures = Integer.getInteger("simulation.maxFailures", 5);
        System.out.println("simulation seed: " + baseSeed + " (schedules " + baseSeed + ".." + (baseSeed + n - 1) + ")");
        long started = System.nanoTime();
        Path base = base();
        int violations = 0;
        int ran = 0;
        long replicated = 0;
        long unreplicated = 0;
        long alone = 0;
        long samples = 0;
        long failovers = 0;
        long orphaned = 0;
        long faults = 0;
        List<String> failed = new ArrayList<>();
        try {
            for (int i = 0; i < n && failed.size() < maxFailures; i++) {
                long seed = baseSeed + i;
                Cluster c = new Cluster(seed, Set.of(), false, base);
                List<String> v = c.run();
                ran++;
                faults += c.faults.size();
                if (c.counts != null) {
                    replicated += c.counts.replicated();
                    unreplicated += c.counts.unreplicated();
                    alone += c.counts.alone();
                    samples += c.counts.samples();
                    failovers += c.counts.failovers();
                    orphaned += c.counts.orphaned();
                }
                if (!v.isEmpty()) {
                    violations += v.size();
                    failed.add("seed " + seed + ": " + v.get(0));
                    report(seed, v, base);
                }
            }
        } finally {
            Cluster.deleteTree(base);
        }
        double secs = (System.nanoTime() - started) / 1e9;
        System.out.printf("checked: %d faults, %d writes acknowledged as replicated, %d acknowledged without replication"
                + " (%d of them while serving alone, %d reported orphaned), %d failovers, %d status samples; %.1f schedules/s%n",
                faults, replicated, unreplicated, alone, orphaned, failovers, samples, ran / secs);
        System.out.printf("simulation: %d schedules, %d violations, %.1f s%n", ran, violations, secs);
        assertThat(failed).as("invariant violations (replay commands above)").isEmpty();
        // the run must have exercised what it claims to check
        assertThat(replicated).as("writes acknowledged as replicated").isGreaterThanOrEqualTo(20L * n);
        assertThat(unreplicated).as("writes acknowledged without replication").isGreaterThanOrEqualTo(n);
        assertThat(alone).as("writes acknowledged while serving alone").isGreaterThanOrEqualTo(n / 2);
        assertThat(failovers).as("failovers").isGreaterThanOrEqualTo(n / 2);
        assertThat(samples).as("status samples").isGreaterThanOrEqualTo(200L * n);
        if (n >= 200) {
            assertThat(orphaned).as("writes reported orphaned").isPositive();
        }
    }

    /** Shrinks the failing schedule to the fewest faults that still fail and prints how to replay it. */
    private static void report(long seed, List<String> violations, Path base) {
        Cluster full = new Cluster(seed, Set.of(), false, base);
        Set<Integer> drop = new TreeSet<>();
        for (Cluster.Fault f : full.faults) {
            Set<Integer> attempt = new HashSet<>(drop);
            attempt.add(f.index());
            if (!new Cluster(seed, attempt, false, base).run().isEmpty()) {
                drop.add(f.index());
            }
        }
        Cluster minimal = new Cluster(seed, drop, true, base);
        List<String> v = minimal.run();
        System.out.println("FAILED seed " + seed + ": " + violations);
        System.out.println("  minimal schedule (" + minimal.faults.size() + " of " + full.faults.size() + " faults): "
                + minimal.faults + " -> " + v);
        minimal.trace.forEach(line -> System.out.println("    " + line));
        System.out.println("  replay: mvn -B -o -q -pl dist -am test -Dtest=SimulationTest"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dsimulation.replay=" + seed
                + (drop.isEmpty() ? "" : " -Dsimulation.drop=" + String.join(",", drop.stream().map(String::valueOf).toList())));
    }

    private static void replay(long seed, Set<Integer> drop) throws Exception {
        System.out.println("simulation seed: " + seed + " (replay" + (drop.isEmpty() ? "" : ", without faults " + drop) + ")");
        long started = System.nanoTime();
        Path base = base();
        List<String> v;
        try {
            Cluster c = new Cluster(seed, drop, true, base);
            v = c.run();
            System.out.println("faults: " + c.faults);
            c.trace.forEach(line -> System.out.println("  " + line));
            System.out.println("counts: " + c.counts + "; violations: " + v);
        } finally {
            Cluster.deleteTree(base);
        }
        System.out.printf("simulation: 1 schedules, %d violations, %.1f s%n", v.size(), (System.nanoTime() - started) / 1e9);
        assertThat(v).isEmpty();
    }

    private static Set<Integer> parseDrop(String s) {
        Set<Integer> out = new TreeSet<>();
        for (String x : s.split(",")) {
            if (!x.isBlank()) {
                out.add(Integer.parseInt(x.trim()));
            }
        }
        return out;
    }
}
