package dev.understudy.common.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ProcessPauserTest {

    private Process sleeper;

    @BeforeEach
    void startSleeper() throws IOException {
        sleeper = new ProcessBuilder("sleep", "30").start();
    }

    @AfterEach
    void killSleeper() throws InterruptedException {
        sleeper.destroyForcibly();
        sleeper.waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void pauseStopsTheProcessAndResumeContinuesIt() throws Exception {
        long pid = sleeper.pid();

        ProcessPauser.pause(pid);
        assertThat(awaitState(pid, s -> s == 'T', Duration.ofSeconds(5))).isEqualTo('T');
        assertThat(sleeper.isAlive()).isTrue();

        ProcessPauser.resume(pid);
        assertThat(awaitState(pid, s -> s != 'T', Duration.ofSeconds(5))).isNotEqualTo('T');
        assertThat(sleeper.isAlive()).isTrue();
    }

    @Test
    void kill9KillsTheProcess() throws Exception {
        ProcessPauser.kill9(sleeper.pid());

        assertThat(sleeper.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(sleeper.exitValue()).isEqualTo(128 + 9);
    }

    @Test
    void kill9KillsAPausedProcess() throws Exception {
        ProcessPauser.pause(sleeper.pid());
        ProcessPauser.kill9(sleeper.pid());

        assertThat(sleeper.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(sleeper.exitValue()).isEqualTo(128 + 9);
    }

    @Test
    void failedKillSaysWhichCommandAndWhy() {
        // Above any pid_max (at most 2^22 on Linux), so no such process can exist.
        long noSuchPid = Integer.MAX_VALUE;

        assertThatThrownBy(() -> ProcessPauser.pause(noSuchPid))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("kill -STOP " + noSuchPid + " failed: exit")
                .hasMessageContaining("check the pid");
    }

    @Test
    void refusesProcessGroupAndSelf() {
        assertThatThrownBy(() -> ProcessPauser.pause(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pid: 0 (expected: >= 2, the pid of one process)");
        long self = ProcessHandle.current().pid();
        assertThatThrownBy(() -> ProcessPauser.kill9(self))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pid: " + self);
    }

    /** Polls /proc/PID/stat until the state matches or the deadline passes; returns the last state. */
    private static char awaitState(long pid, Predicate<Character> wanted, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        char state = procState(pid);
        while (!wanted.test(state) && System.nanoTime() < deadline) {
            // Signal delivery is asynchronous to kill's exit; yield briefly rather than spin.
            TimeUnit.MILLISECONDS.sleep(5);
            state = procState(pid);
        }
        return state;
    }

    private static char procState(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        // Format: "pid (comm) S ...": comm may contain spaces or parentheses, so find the last ')'.
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }
}
