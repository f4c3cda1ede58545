package dev.understudy.dist.nemesis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded, bounded fault schedule: the same seed always yields the same list of operations, with the
 * same targets, durations and gaps. (The processes' own timing is not under the seed's control, so a seed
 * reproduces the schedule, not every interleaving; a failing seed is re-run to reproduce the bug.)
 */
record Schedule(long seed, List<Op> ops) {

    /** Kinds of fault, as counted in the summary. */
    enum Kind {
        /** kill -9 of a node, then restart after {@code duration}. */
        KILL,
        /** SIGSTOP for less than takeoverDelay, then SIGCONT. */
        PAUSE_SHORT,
        /** SIGSTOP for more than takeoverDelay, then SIGCONT. */
        PAUSE_LONG,
        /** Both directions of the HA channel silenced (both fault proxies), then healed. */
        PARTITION,
        /** Latency added to every chunk of the HA channel, both directions. */
        DELAY,
        /** Chunks of the HA channel dropped with a probability (the TLS stream breaks, the channel reconnects). */
        DROP,
        /** Both nodes killed at once (the pair's worst crash), restarted in order. */
        KILL_BOTH,
        /**
         * kill -9 of a node and restart under libfaketime with its wall clock off by {@code amount} seconds
         * (negative: behind); it keeps that clock until a later KILL restarts it normally.
         */
        SKEW
    }

    /**
     * One fault.
     *
     * @param kind     what is done
     * @param target   0 = the node that is master at that moment, 1 = the other one (resolved when applied)
     * @param duration how long the fault lasts before it is undone
     * @param amount   the delay in ms (DELAY) or the drop probability in percent (DROP); 0 otherwise
     * @param gapAfter quiet time after the fault is undone
     */
    record Op(Kind kind, int target, Duration duration, int amount, Duration gapAfter) {
        @Override
        public String toString() {
            String who = switch (kind) {
                case PARTITION, DELAY, DROP, KILL_BOTH -> "";
                default -> target == 0 ? " master" : " shadow";
            };
            String what = switch (kind) {
                case DELAY -> " " + amount + "ms";
                case SKEW -> " clock " + (amount >= 0 ? "+" : "") + amount + "s";
                case DROP -> " " + amount + "%";
                default -> "";
            };
            return kind + who + what + " for " + duration.toMillis() + "ms, then quiet " + gapAfter.toMillis() + "ms";
        }
    }

    /** Generates operations until their total time reaches {@code seconds}. */
    static Schedule generate(long seed, int seconds, Duration takeoverDelay) {
        Random r = new Random(seed);
        List<Op> ops = new ArrayList<>();
        long total = 0;
        long td = takeoverDelay.toMillis();
        while (total < seconds * 1000L) {
            int pick = r.nextInt(100);
            Kind kind = pick < 18 ? Kind.KILL : pick < 30 ? Kind.PAUSE_SHORT : pick < 43 ? Kind.PAUSE_LONG
                    : pick < 61 ? Kind.PARTITION : pick < 74 ? Kind.DELAY : pick < 87 ? Kind.DROP
                    : pick < 94 ? Kind.KILL_BOTH : Kind.SKEW;
            int target = r.nextInt(100) < 60 ? 0 : 1;
            long dur;
            int amount = 0;
            switch (kind) {
                case KILL, KILL_BOTH -> dur = 100 + r.nextInt(3000);
                case SKEW -> {
                    dur = 100 + r.nextInt(1000);
                    amount = (r.nextBoolean() ? 1 : -1) * (5 + r.nextInt(56)); // 5..60 s ahead or behind
                }
                case PAUSE_SHORT -> dur = td * (20 + r.nextInt(50)) / 100; // 0.2 .. 0.7 x takeoverDelay
                case PAUSE_LONG -> dur = td * (150 + r.nextInt(250)) / 100; // 1.5 .. 4 x takeoverDelay
                case PARTITION -> dur = r.nextBoolean() ? td * (20 + r.nextInt(60)) / 100 : td * (150 + r.nextInt(350)) / 100;
                case DELAY -> {
                    dur = 1000 + r.nextInt(4000);
                    amount = 20 + r.nextInt(Math.max(1, (int) td)); // up to ~takeoverDelay of latency
                }
                case DROP -> {
                    dur = 500 + r.nextInt(3000);
                    amount = 1 + r.nextInt(20);
                }
                default -> throw new IllegalStateException(kind.toString());
            }
            long gap = 300 + r.nextInt(2500);
            ops.add(new Op(kind, target, Duration.ofMillis(dur), amount, Duration.ofMillis(gap)));
            total += dur + gap;
        }
        return new Schedule(seed, List.copyOf(ops));
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("schedule of seed " + seed + ":\n");
        for (int i = 0; i < ops.size(); i++) {
            b.append(String.format("  %2d. %s%n", i + 1, ops.get(i)));
        }
        return b.toString();
    }
}
