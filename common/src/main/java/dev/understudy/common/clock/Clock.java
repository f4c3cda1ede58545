package dev.understudy.common.clock;

/**
 * Time as the rest of the code sees it: a monotonic ticker for deadlines and a wall clock for
 * timestamps shown to operators. Injected everywhere so tests can drive time.
 */
public interface Clock {

    /** Monotonic nanoseconds, for deadlines and intervals; unrelated to wall time. */
    long nanoTime();

    /** Wall-clock milliseconds since the epoch, for timestamps shown to people. */
    long currentTimeMillis();

    /** The real clock of this machine. */
    static Clock system() {
        return SystemClock.INSTANCE;
    }
}
