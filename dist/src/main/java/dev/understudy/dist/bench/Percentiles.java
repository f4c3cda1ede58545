package dev.understudy.dist.bench;

import java.util.Arrays;

/** Median, p99 and max of a set of samples, in milliseconds. */
public record Percentiles(int n, double p50, double p99, double max) {

    public static Percentiles ofNanos(long[] samples) {
        long[] s = samples.clone();
        Arrays.sort(s);
        return new Percentiles(s.length, at(s, 0.50) / 1e6, at(s, 0.99) / 1e6, s.length == 0 ? 0 : s[s.length - 1] / 1e6);
    }

    private static double at(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    @Override
    public String toString() {
        return String.format("n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms", n, p50, p99, max);
    }
}
