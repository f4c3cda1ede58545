package dev.understudy.dist.admin;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Counts open admin connections per source address and in total, and says whether one more may
 * open. Pure bookkeeping (no I/O); the server closes a connection it is told to refuse before TLS.
 */
final class ConnectionLimits {

    /** The outcome of {@link #tryOpen}: admitted, or refused (and whether that is news worth a log line). */
    record Admission(boolean admitted, boolean firstRefusal) {}

    private final int perSource;
    private final int total;
    private final Map<String, Integer> open = new HashMap<>();
    private final Set<String> refusing = new HashSet<>();
    private int all;

    ConnectionLimits(int perSource, int total) {
        if (perSource < 1 || total < perSource) {
            throw new IllegalArgumentException("maxConnectionsPerSource: " + perSource + ", maxConnections: " + total
                    + " (expected: 1 <= per source <= total)");
        }
        this.perSource = perSource;
        this.total = total;
    }

    int perSource() {
        return perSource;
    }

    int total() {
        return total;
    }

    synchronized Admission tryOpen(String source) {
        int n = open.getOrDefault(source, 0);
        if (n >= perSource || all >= total) {
            String key = n >= perSource ? source : "*";
            return new Admission(false, refusing.add(key));
        }
        open.put(source, n + 1);
        all++;
        return new Admission(true, false);
    }

    /** Called once for every admitted connection when it closes. */
    synchronized void closed(String source) {
        int n = open.getOrDefault(source, 0);
        if (n <= 1) {
            open.remove(source);
        } else {
            open.put(source, n - 1);
        }
        all = Math.max(0, all - 1);
        refusing.remove(source);
        refusing.remove("*");
    }

    synchronized int open(String source) {
        return open.getOrDefault(source, 0);
    }
}
