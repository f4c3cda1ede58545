package dev.understudy.dist.ha;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code <home>/hooks/on-role-change OLD NEW EPOCH} in the background with a time limit; it
 * never blocks a promotion. A failure or time-out is reported through {@code onFailure}.
 */
final class RoleChangeHook {

    private static final Logger log = LoggerFactory.getLogger(RoleChangeHook.class);
    static final long TIMEOUT_SECONDS = 10;

    private final Path script;
    private final Consumer<String> onFailure;

    RoleChangeHook(Path script, Consumer<String> onFailure) {
        this.script = script;
        this.onFailure = onFailure;
    }

    void run(String from, String to, long epoch) {
        if (!Files.isExecutable(script)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                Process p = new ProcessBuilder(script.toString(), from, to, Long.toString(epoch))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    fail("did not finish within " + TIMEOUT_SECONDS + " s and was killed");
                } else if (p.exitValue() != 0) {
                    fail("exited with status " + p.exitValue());
                } else {
                    log.info("role-change hook {} {} {} {} succeeded", script, from, to, epoch);
                }
            } catch (IOException e) {
                fail("could not be started: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "role-change-hook");
        t.setDaemon(true);
        t.start();
    }

    private void fail(String why) {
        log.warn("role-change hook {} {}", script, why);
        onFailure.accept("The role-change hook " + script + " " + why
                + ". The role change itself happened; fix the hook and check what it should have done.");
    }
}
