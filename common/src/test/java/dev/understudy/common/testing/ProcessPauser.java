package dev.understudy.common.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Pauses, resumes and crashes processes by pid with {@code kill -STOP/-CONT/-KILL} (shared test fixture,
 * common test-jar), for process-level tests that freeze or kill a real {@code understudy} node.
 *
 * <p>Each call waits for the {@code kill} command to exit and fails with an {@link IllegalStateException}
 * naming the command, its exit code and its stderr when it did not succeed. Pids below 2 and the test's own
 * pid are rejected: {@code kill -STOP 0} would stop the whole process group, pausing oneself hangs the test.
 */
public final class ProcessPauser {

    private static final long KILL_TIMEOUT_SECONDS = 10;

    private ProcessPauser() {
    }

    /** Stops the process ({@code SIGSTOP}): it stays alive, keeps its sockets open and does nothing. */
    public static void pause(long pid) {
        signal("STOP", pid);
    }

    /** Continues a paused process ({@code SIGCONT}). */
    public static void resume(long pid) {
        signal("CONT", pid);
    }

    /** Kills the process at once ({@code SIGKILL}): no shutdown hook runs, like a crash. */
    public static void kill9(long pid) {
        signal("KILL", pid);
    }

    private static void signal(String signal, long pid) {
        if (pid < 2) {
            throw new IllegalArgumentException("pid: " + pid + " (expected: >= 2, the pid of one process)");
        }
        if (pid == ProcessHandle.current().pid()) {
            throw new IllegalArgumentException("pid: " + pid + " (expected: another process than this test)");
        }
        String command = "kill -" + signal + " " + pid;
        Process kill;
        try {
            kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException(command + ": cannot run kill: " + e.getMessage()
                    + " (expected: a kill command on the PATH)", e);
        }
        try {
            String stderr;
            try (InputStream err = kill.getErrorStream()) {
                // The message is short; reading to EOF ends when kill exits.
                stderr = new String(err.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (!kill.waitFor(KILL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new IllegalStateException(command + ": did not exit within " + KILL_TIMEOUT_SECONDS
                        + " s");
            }
            int exit = kill.exitValue();
            if (exit != 0) {
                throw new IllegalStateException(command + " failed: exit " + exit
                        + (stderr.isEmpty() ? "" : ": " + stderr)
                        + " (expected: a live process this user may signal; check the pid)");
            }
        } catch (IOException e) {
            throw new IllegalStateException(command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            kill.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(command + ": interrupted while waiting for kill", e);
        }
    }
}
