package dev.understudy.dist.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The Debian tools some process-level tests drive (openssl, sslscan, haproxy, chromium). Where one is
 * missing, the test is skipped with a line saying what to install, so `mvn -B verify` passes on a fresh
 * machine; with {@code CI} set (as `.ci/run` and CI services do) a missing tool fails the test instead,
 * so CI never passes by skipping.
 */
public final class ExternalTools {

    private ExternalTools() {}

    /** Requires the program {@code name} on PATH (Debian package {@code pkg}). */
    public static void requireOnPath(String name, String pkg) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return;
            }
        }
        missing(name + ": not installed", pkg);
    }

    /** Requires the executable {@code file} (Debian package {@code pkg}). */
    public static void require(Path file, String pkg) {
        if (!Files.isExecutable(file)) {
            missing(file + ": not installed", pkg);
        }
    }

    private static void missing(String what, String pkg) {
        String why = what + " (expected: `apt-get install -y " + pkg + "`, or run `.ci/run`, which installs every tool the"
                + " tests use)";
        if (System.getenv("CI") != null) {
            throw new AssertionError(why + "; CI is set, so a missing tool is a failure, not a skip");
        }
        Assumptions.abort("skipped: " + why + "; set CI=true to make this a failure");
    }
}
