package dev.understudy.master;

import java.util.HashMap;
import java.util.Map;

/**
 * Bounds the connections to the HA port that have not authenticated yet, per source address and in
 * total, so that strangers cannot exhaust the master's descriptors or crowd out its own shadow. A slot
 * is taken when the TCP connection arrives and given back once the peer authenticated (pinned
 * certificate, or pairing password) or the connection closed; the TLS handshake timeout and the HELLO
 * timeout bound how long a slot can be held.
 */
final class HaAdmission {

    /** Unauthenticated connections one source address may hold at once. */
    static final int PER_SOURCE = 8;
    /** Unauthenticated connections from all sources together. */
    static final int TOTAL = 64;

    private final int perSource;
    private final int total;
    private final Map<String, Integer> bySource = new HashMap<>();
    private int held;

    HaAdmission() {
        this(PER_SOURCE, TOTAL);
    }

    HaAdmission(int perSource, int total) {
        if (perSource < 1 || total < perSource) {
            throw new IllegalArgumentException("perSource: " + perSource + ", total: " + total
                    + " (expected: 1 <= perSource <= total)");
        }
        this.perSource = perSource;
        this.total = total;
    }

    /** Takes a slot for {@code source}; false when that source or all sources together hold too many. */
    synchronized boolean tryAcquire(String source) {
        int mine = bySource.getOrDefault(source, 0);
        if (mine >= perSource || held >= total) {
            return false;
        }
        bySource.put(source, mine + 1);
        held++;
        return true;
    }

    /** Gives back a slot taken by {@link #tryAcquire}. */
    synchronized void release(String source) {
        Integer mine = bySource.get(source);
        if (mine == null) {
            throw new IllegalStateException("release(" + source + "): no slot held");
        }
        if (mine == 1) {
            bySource.remove(source);
        } else {
            bySource.put(source, mine - 1);
        }
        held--;
    }

    /** Slots held now (for tests and metrics). */
    synchronized int held() {
        return held;
    }
}
