package dev.understudy.common.clock;

/**
 * Runs tasks on one thread, now or after a delay: the one timer source of a node's failover loop, injected
 * so that a simulated clock can drive the loop instead of real time ({@link ExecutorScheduler} is the real one).
 */
public interface Scheduler {

    /** A scheduled task that may still be cancelled. */
    interface Cancellable {
        /** Cancels the task if it has not run yet; a running task is not interrupted. */
        void cancel();
    }

    /** Runs {@code task} as soon as possible, after the tasks already submitted. */
    void execute(Runnable task);

    /** Runs {@code task} once, {@code delayNanos} from now on the scheduler's clock. */
    Cancellable schedule(Runnable task, long delayNanos);

    /** Runs {@code task} every {@code periodNanos}, the first time one period from now. */
    Cancellable every(Runnable task, long periodNanos);

    /** Stops running tasks; tasks not yet run are dropped. */
    void shutdown();
}
