package dev.understudy.common.auth;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-source throttle of failed logins, a pure core: time comes in as {@code nowNanos} (monotonic),
 * nothing here reads a clock, sleeps or starts a thread.
 *
 * <pre>
 *   failures from one source            after the 5th: locked   the 6th attempt: refused unchecked
 *   1 2 3 4 5  -----------------------> [2 s] [4 s] [8 s] ... [5 min]  (each further failure doubles)
 *   a source quiet for a window (60 s) after its lockout ends is forgotten; a success forgets it at once
 * </pre>
 *
 * <p>A refused attempt is decided before the caller runs the (slow) password hash, so a locked
 * source costs the node almost nothing. Memory is bounded: at most {@link Policy#maxSources()}
 * sources are tracked one by one; when that many are live, every further source shares one
 * overflow entry (an attacker with many addresses is then throttled as one).
 *
 * <p>A burst is {@link Policy#burstAttempts()} failed or refused attempts, from any sources,
 * within one window; it is over once the window holds fewer.
 *
 * <p>Thread-safe (callers are the admin handler threads and the HA pairing check).
 */
public final class LoginThrottle {

    /** The limits; {@link #DEFAULT} is what a node uses. */
    public record Policy(int freeFailures, Duration window, Duration firstLockout, Duration maxLockout,
                         int maxSources, int burstAttempts) {

        public static final Policy DEFAULT = new Policy(5, Duration.ofSeconds(60), Duration.ofSeconds(2),
                Duration.ofMinutes(5), 4096, 10);

        public Policy {
            if (freeFailures < 1) {
                throw new IllegalArgumentException("freeFailures: " + freeFailures + " (expected: >= 1)");
            }
            if (window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("window: " + window + " (expected: > 0)");
            }
            if (firstLockout.isNegative() || firstLockout.isZero() || maxLockout.compareTo(firstLockout) < 0) {
                throw new IllegalArgumentException("firstLockout: " + firstLockout + ", maxLockout: " + maxLockout
                        + " (expected: 0 < firstLockout <= maxLockout)");
            }
            if (maxSources < 1 || burstAttempts < 1) {
                throw new IllegalArgumentException("maxSources: " + maxSources + ", burstAttempts: " + burstAttempts
                        + " (expected: both >= 1)");
            }
        }
    }

    /**
     * Whether an attempt may be checked. {@code retryAfterNanos} is 0 when allowed; {@code firstRefusal}
     * is true for the first refusal of a lockout (the caller logs that one, not every one).
     */
    public record Verdict(boolean allowed, long retryAfterNanos, int failures, boolean firstRefusal) {

        /** Seconds to wait, rounded up (for {@code Retry-After}). */
        public long retryAfterSeconds() {
            return (retryAfterNanos + 999_999_999L) / 1_000_000_000L;
        }
    }

    /** What a recorded failure did: the source's failures so far and the lockout it now has (0: none). */
    public record Failure(int failures, long lockedForNanos, boolean burstStarted) {}

    /** The key shared by all sources once {@link Policy#maxSources()} are tracked. */
    static final String OVERFLOW = "*";

    private static final class Entry {
        int failures;
        long lastFailure;
        long lockedUntil;
        boolean refusalSeen;
    }

    private final Policy policy;
    private final Map<String, Entry> sources = new HashMap<>();
    /** Times of the last {@code burstAttempts} failed or refused attempts, oldest first. */
    private final ArrayDeque<Long> recent = new ArrayDeque<>();

    public LoginThrottle(Policy policy) {
        this.policy = policy;
    }

    public Policy policy() {
        return policy;
    }

    /** May {@code source} try a password now? A refusal counts towards a burst. */
    public synchronized Verdict check(String source, long nowNanos) {
        Entry e = live(key(source, nowNanos), nowNanos);
        if (e == null || nowNanos - e.lockedUntil >= 0) {
            return new Verdict(true, 0, e == null ? 0 : e.failures, false);
        }
        boolean first = !e.refusalSeen;
        e.refusalSeen = true;
        note(nowNanos);
        return new Verdict(false, e.lockedUntil - nowNanos, e.failures, first);
    }

    /** Records a wrong user or password from {@code source}. */
    public synchronized Failure failed(String source, long nowNanos) {
        boolean wasBurst = burst(nowNanos);
        String k = key(source, nowNanos);
        Entry e = live(k, nowNanos);
        if (e == null) {
            e = new Entry();
            sources.put(k, e);
        }
        e.failures++;
        e.lastFailure = nowNanos;
        e.refusalSeen = false;
        long lock = 0;
        if (e.failures >= policy.freeFailures()) {
            int doublings = Math.min(e.failures - policy.freeFailures(), 30);
            long first = policy.firstLockout().toNanos();
            long max = policy.maxLockout().toNanos();
            lock = first > (max >> doublings) ? max : Math.min(max, first << doublings);
            e.lockedUntil = nowNanos + lock;
        } else {
            e.lockedUntil = nowNanos;
        }
        note(nowNanos);
        return new Failure(e.failures, lock, !wasBurst && burst(nowNanos));
    }

    /** A correct login from {@code source}: its failures are forgotten. */
    public synchronized void succeeded(String source) {
        sources.remove(source);
    }

    /** Whether a burst of failed or refused attempts is going on. */
    public synchronized boolean burst(long nowNanos) {
        return recent.size() >= policy.burstAttempts() && nowNanos - recent.peekFirst() <= policy.window().toNanos();
    }

    /** Failed or refused attempts within the window (counted up to {@link Policy#burstAttempts()}). */
    public synchronized int recentAttempts(long nowNanos) {
        int n = 0;
        for (long t : recent) {
            if (nowNanos - t <= policy.window().toNanos()) {
                n++;
            }
        }
        return n;
    }

    /** Forgets sources whose lockout and window are over. */
    public synchronized void purge(long nowNanos) {
        sources.values().removeIf(e -> expired(e, nowNanos));
    }

    /** How many sources are tracked (for tests and metrics). */
    public synchronized int trackedSources() {
        return sources.size();
    }

    private void note(long nowNanos) {
        recent.addLast(nowNanos);
        while (recent.size() > policy.burstAttempts()) {
            recent.removeFirst();
        }
    }

    private String key(String source, long nowNanos) {
        if (sources.containsKey(source) || sources.size() < policy.maxSources()) {
            return source;
        }
        purge(nowNanos);
        return sources.size() < policy.maxSources() ? source : OVERFLOW;
    }

    private Entry live(String key, long nowNanos) {
        Entry e = sources.get(key);
        if (e != null && expired(e, nowNanos)) {
            sources.remove(key);
            return null;
        }
        return e;
    }

    private boolean expired(Entry e, long nowNanos) {
        // lockedUntil >= lastFailure: quiet for a whole window after the lockout (if any) ended
        return nowNanos - e.lockedUntil > policy.window().toNanos();
    }

    /** For tests: whether the overflow entry is in use. */
    synchronized boolean overflowing() {
        return sources.containsKey(OVERFLOW);
    }
}
