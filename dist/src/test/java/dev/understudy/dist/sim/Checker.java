package dev.understudy.dist.sim;

import dev.understudy.dist.sim.Cluster.Outcome;
import dev.understudy.dist.sim.Cluster.Sample;
import dev.understudy.dist.sim.Cluster.Write;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The nemesis invariants, checked on one finished schedule (numbers as in NemesisIT):
 * (1) never two nodes active, nor two nodes accepting writes, in one epoch; no write accepted in an epoch after
 * the node's loop learned that a peer serves in a higher one (checked as the write commits); no node's epoch goes
 * backwards; nothing reports active outside a serving state; (2) every write acknowledged as replicated is in the final
 * configuration, every other acknowledged write is there or reported as orphaned by its node; (3) after the
 * heal the pair converges (one master ACTIVE_PAIRED, one STANDBY, same revision and hash) within the quiet
 * period; (4) every write committed while its master served alone (no shadow connected) falls in a PUSH_FAILED error of that node,
 * and every other write acknowledged without replication was replicated after all (acknowledged later in its
 * tenure, or in the final configuration), or falls in a PUSH_FAILED error, or is reported orphaned; (5) no promotion over a healthy master: an
 * unplanned promotion needs a fault on the old master or the link within the three takeoverDelays before it.
 */
final class Checker {

    /** Counts of what one schedule checked, so that a run cannot pass vacuously. */
    record Counts(int replicated, int unreplicated, int alone, int samples, int failovers, int orphaned) {}

    private Checker() {}

    static Counts check(Cluster c) {
        List<String> v = c.violations;
        // (1)
        Map<String, Sample> last = new HashMap<>();
        Map<Long, Sample> activeIn = new HashMap<>();
        for (Sample s : c.samples) {
            Sample prev = last.put(s.node().id, s);
            if (prev != null && s.epoch() < prev.epoch()) {
                v.add("(1) epoch of " + s.node() + " went backwards: " + prev + " then " + s);
            }
            if (s.active() && !s.state().serving()) {
                v.add("(1) status reports active in state " + s.state() + ": " + s);
            }
            if (s.active()) {
                Sample other = activeIn.putIfAbsent(s.epoch(), s);
                if (other != null && other.node() != s.node()) {
                    v.add("(1) two nodes active in epoch " + s.epoch() + ": " + other + " and " + s);
                }
            }
        }
        // (3)
        if (c.convergedAt < 0) {
            v.add("(3) no convergence within " + Cluster.MAX_QUIET / Cluster.SEC + " s after the heal: "
                    + describe(c.nodes[0]) + ", " + describe(c.nodes[1]));
        }
        // (2) and (4)
        Set<String> keys = c.finalKeys();
        int replicated = 0;
        int unreplicated = 0;
        int orphaned = 0;
        int alone = 0;
        for (Write w : c.writes) {
            if (w.outcome == Outcome.ACK_REPLICATED) {
                replicated++;
                if (c.convergedAt >= 0 && !keys.contains(w.key())) {
                    v.add("(2) a write acknowledged as replicated is lost: " + w);
                }
            } else if (w.outcome == Outcome.ACK_NOT_REPLICATED) {
                unreplicated++;
                boolean reported = w.committedOn.disk.orphanedKeys.contains(w.key());
                orphaned += reported ? 1 : 0;
                if (c.convergedAt >= 0 && !keys.contains(w.key()) && !reported) {
                    v.add("(2) an acknowledged write is neither in the final configuration nor reported orphaned: " + w);
                }
                long ackedLater = c.ackedInEpoch.getOrDefault(w.committedOn.id + "/" + w.epoch, 0L);
                if (w.alone) {
                    alone++;
                    if (!pushErrorCovers(w)) {
                        v.add("(4) a write committed while its master served alone is not covered by a PUSH_FAILED"
                                + " error: " + w);
                    }
                } else if (ackedLater < w.revision && !keys.contains(w.key()) && !reported && !pushErrorCovers(w)) {
                    v.add("(4) a write acknowledged without replication was never replicated, nor alerted as a failed"
                            + " push, nor reported orphaned: " + w);
                }
            }
        }
        // (5)
        for (Cluster.Promotion p : c.promotions) {
            int old = c.other(p.node()).index();
            long from = p.at() - 3 * Cluster.TIMINGS.takeover();
            boolean cause = overlaps(c.disturbed.get(old), from, p.at()) || overlaps(c.disturbed.get(2), from, p.at());
            if (!cause) {
                v.add("(5) " + p.node() + " promoted over a healthy master at " + (p.at() - 1_000 * Cluster.SEC) / Cluster.MS
                        + " ms in epoch " + p.epoch() + " (" + p.reason() + "): no fault touched " + c.other(p.node())
                        + " or the link in the 3 s before");
            }
        }
        // proof that this schedule checked something
        Map<String, Integer> perNode = new HashMap<>();
        c.samples.forEach(s -> perNode.merge(s.node().id, 1, Integer::sum));
        if (replicated == 0) {
            v.add("(vacuous) no write was acknowledged as replicated in this schedule");
        }
        for (SimNode n : c.nodes) {
            if (perNode.getOrDefault(n.id, 0) < 20) {
                v.add("(vacuous) only " + perNode.getOrDefault(n.id, 0) + " status samples of " + n);
            }
        }
        return new Counts(replicated, unreplicated, alone, c.samples.size(), c.failovers, orphaned);
    }

    private static boolean pushErrorCovers(Write w) {
        long from = w.committedAt;
        long to = w.committedAt + Cluster.TIMINGS.request() + 3 * Cluster.TIMINGS.heartbeat();
        return overlaps(w.committedOn.disk.pushErrors, from, to);
    }

    private static boolean overlaps(List<long[]> spans, long from, long to) {
        for (long[] s : spans) {
            if (s[0] <= to && s[1] >= from) {
                return true;
            }
        }
        return false;
    }

    private static String describe(SimNode n) {
        return n + (n.up() ? "" : " down") + " " + n.fs.state() + " e" + n.fs.epoch()
                + (n.store == null || !n.up() ? "" : " at r" + n.store.head().revision());
    }
}
