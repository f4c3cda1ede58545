package dev.understudy.common.concurrent;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one way this code base waits on a future: within a bound, turning the three ways a wait ends
 * badly into an {@link IOException} whose message names what was awaited. A wait that runs out of
 * time leaves the future alone: it may be shared, and the work may still finish.
 */
public final class Futures {

    private Futures() {
    }

    /** Like {@link #within(Future, Duration, String, String)} without a hint. */
    public static <T> T within(Future<T> future, Duration bound, String what) throws IOException {
        return within(future, bound, what, null);
    }

    /**
     * Waits for {@code future} at most {@code bound} and returns its value.
     *
     * @param what     what the future stands for, e.g. {@code "detach"}
     * @param whatToDo what the operator can do when it timed out (null: nothing to add)
     * @throws IOException            with the cause's message when the future failed (the cause kept)
     * @throws TimedOutException      when it did not complete in time: "{@code what} did not complete within 10 s"
     * @throws InterruptedIOException when the waiting thread was interrupted (its interrupt flag is set again)
     */
    public static <T> T within(Future<T> future, Duration bound, String what, String whatToDo) throws IOException {
        if (bound.isNegative()) {
            throw new IllegalArgumentException("bound: " + bound + " (expected: >= 0)");
        }
        try {
            return future.get(bound.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IOException(cause.getMessage() != null ? cause.getMessage() : what + " failed: " + cause, cause);
        } catch (TimeoutException e) {
            throw new TimedOutException(what + " did not complete within " + describe(bound)
                    + (whatToDo == null ? "" : " (" + whatToDo + ")"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(what + " interrupted");
        }
    }

    /** "30 s", "500 ms". */
    static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** A wait that ran out of time; the awaited work may still finish later. */
    public static final class TimedOutException extends IOException {

        private static final long serialVersionUID = 1L;

        TimedOutException(String message) {
            super(message);
        }
    }
}
