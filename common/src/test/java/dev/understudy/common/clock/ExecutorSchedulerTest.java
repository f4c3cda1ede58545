package dev.understudy.common.clock;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ExecutorSchedulerTest {

    @Test
    void runsTasksInOrderOnItsOneThreadAndACancelledTimerNeverRuns() throws Exception {
        ExecutorScheduler s = new ExecutorScheduler("sched-test");
        try {
            List<String> ran = new CopyOnWriteArrayList<>();
            AtomicInteger cancelledRuns = new AtomicInteger();
            Scheduler.Cancellable never = s.schedule(cancelledRuns::incrementAndGet, TimeUnit.MILLISECONDS.toNanos(50));
            never.cancel();
            CompletableFuture<String> thread = new CompletableFuture<>();
            s.execute(() -> ran.add("a"));
            s.execute(() -> ran.add("b"));
            s.schedule(() -> thread.complete(Thread.currentThread().getName()), TimeUnit.MILLISECONDS.toNanos(100));
            assertThat(thread.get(10, TimeUnit.SECONDS)).isEqualTo("sched-test");
            assertThat(ran).containsExactly("a", "b");
            assertThat(cancelledRuns).hasValue(0);
        } finally {
            s.shutdown();
        }
    }

    @Test
    void aPeriodicTaskRepeatsUntilCancelled() throws Exception {
        ExecutorScheduler s = new ExecutorScheduler("sched-test");
        try {
            AtomicInteger runs = new AtomicInteger();
            CompletableFuture<Void> thrice = new CompletableFuture<>();
            Scheduler.Cancellable c = s.every(() -> {
                if (runs.incrementAndGet() == 3) {
                    thrice.complete(null);
                }
            }, TimeUnit.MILLISECONDS.toNanos(5));
            thrice.get(10, TimeUnit.SECONDS);
            c.cancel();
            CompletableFuture<Integer> after = new CompletableFuture<>();
            // a task queued after the cancel runs after any period already started, so the count is final then
            s.schedule(() -> after.complete(runs.get()), TimeUnit.MILLISECONDS.toNanos(20));
            int settled = after.get(10, TimeUnit.SECONDS);
            CompletableFuture<Integer> later = new CompletableFuture<>();
            s.schedule(() -> later.complete(runs.get()), TimeUnit.MILLISECONDS.toNanos(30));
            assertThat(later.get(10, TimeUnit.SECONDS)).isEqualTo(settled);
        } finally {
            s.shutdown();
        }
    }
}
