package dev.understudy.common.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class FuturesTest {

    @Test
    void aCompletedFutureGivesItsValue() throws IOException {
        assertThat(Futures.within(CompletableFuture.completedFuture("ok"), Duration.ofSeconds(1), "x")).isEqualTo("ok");
    }

    @Test
    void aFailedFutureIsAnIoExceptionWithTheCausesMessageAndTheCause() {
        var cause = new IllegalStateException("refused: a shadow is connected");
        assertThatThrownBy(() -> Futures.within(CompletableFuture.failedFuture(cause), Duration.ofSeconds(1), "reset"))
                .isExactlyInstanceOf(IOException.class).hasMessage("refused: a shadow is connected").hasCause(cause);
    }

    @Test
    void aFutureThatNeverCompletesTimesOutWithWhatAndTheHintAndIsLeftAlone() {
        var never = new CompletableFuture<String>();
        assertThatThrownBy(() -> Futures.within(never, Duration.ofMillis(20), "attach", "check the address"))
                .isInstanceOf(Futures.TimedOutException.class)
                .hasMessage("attach did not complete within 20 ms (check the address)");
        assertThatThrownBy(() -> Futures.within(never, Duration.ZERO, "detach"))
                .isInstanceOf(Futures.TimedOutException.class).hasMessage("detach did not complete within 0 s");
        assertThat(never).isNotDone();
        never.complete("late");
        assertThat(never).isCompletedWithValue("late");
    }

    @Test
    void anInterruptedWaitSaysSoAndKeepsTheInterruptFlag() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Futures.within(new CompletableFuture<Void>(), Duration.ofSeconds(10), "switch-roles"))
                    .isInstanceOf(InterruptedIOException.class).hasMessage("switch-roles interrupted");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aNegativeBoundIsRefused() {
        assertThatThrownBy(() -> Futures.within(new CompletableFuture<Void>(), Duration.ofSeconds(-1), "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("bound: PT-1S (expected: >= 0)");
    }
}
