package dev.understudy.master;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The writers waiting for the shadow to acknowledge a revision ({@link MasterRole#awaitAck}): each waits on a future
 * that completes with true once an ack covers its revision, or with false when the session ends or its timeout
 * fires. Holds no timer of its own: the caller bounds each wait.
 */
final class AckRegistry {

    private final TreeMap<Long, List<CompletableFuture<Boolean>>> waiters = new TreeMap<>();
    /** Wall-clock time of the last ack that advanced the shadow's revision (-1: none yet). */
    private volatile long lastAckedMillis = -1;

    /**
     * A future for {@code revision}: already true when {@code acked} (read under the registry's lock, so an ack
     * arriving meanwhile is not missed) covers it, else pending until {@link #ackedUpTo} or {@link #failAll}.
     */
    CompletableFuture<Boolean> register(long revision, LongSupplier acked) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        synchronized (waiters) {
            if (acked.getAsLong() >= revision) {
                f.complete(true);
                return f;
            }
            waiters.computeIfAbsent(revision, k -> new ArrayList<>()).add(f);
        }
        return f;
    }

    /** The shadow acknowledged every revision up to {@code revision} at {@code nowMillis}: their writers succeed. */
    void ackedUpTo(long revision, long nowMillis) {
        lastAckedMillis = nowMillis;
        complete(revision, false, true);
    }

    /** The session ended (or the role stopped): every waiting writer learns its revision is not known replicated. */
    void failAll() {
        complete(0, true, false);
    }

    long lastAckedMillis() {
        return lastAckedMillis;
    }

    /** Writers still waiting (for tests and metrics). */
    int waiting() {
        synchronized (waiters) {
            return waiters.values().stream().mapToInt(List::size).sum();
        }
    }

    private void complete(long upTo, boolean all, boolean value) {
        List<CompletableFuture<Boolean>> done = new ArrayList<>();
        synchronized (waiters) {
            var head = all ? waiters : waiters.headMap(upTo, true);
            head.values().forEach(done::addAll);
            head.clear();
        }
        done.forEach(f -> f.complete(value));
    }
}
