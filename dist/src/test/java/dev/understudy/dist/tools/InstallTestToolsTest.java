package dev.understudy.dist.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #10 item 12: `mvn -B verify` on a fresh Debian machine installs the programs the tests drive.
 * The script runs against stand-in dpkg-query/apt-get/id commands on PATH that record what they were asked.
 */
class InstallTestToolsTest {

    static final Path SCRIPT = Path.of("src/test/tools/install-test-tools.sh").toAbsolutePath();

    @TempDir
    Path bin;

    record Run(int exit, String out, String err) {}

    private void fake(String name, String body) throws IOException {
        Path f = bin.resolve(name);
        Files.writeString(f, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Run run(boolean ci) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString());
        pb.environment().put("PATH", bin + ":/usr/bin:/bin");
        if (ci) {
            pb.environment().put("CI", "true");
        } else {
            pb.environment().remove("CI");
        }
        Path out = bin.resolve("out");
        Path err = bin.resolve("err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private String calls() throws IOException {
        Path log = bin.resolve("apt.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Test
    void freshMachineAsRootInstallsEveryMissingPackage() throws Exception {
        fake("dpkg-query", "exit 1"); // nothing installed
        fake("id", "echo 0");
        fake("apt-get", "echo \"$@\" >> " + bin.resolve("apt.log"));
        Run r = run(false);
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(calls()).contains("update -qq").contains("install -y -qq --no-install-recommends")
                .contains("haproxy").contains("chromium-driver").contains("testssl.sh").contains("faketime")
                .contains("openssl").contains("sslscan");
    }

    @Test
    void everythingInstalledDoesNothing() throws Exception {
        fake("dpkg-query", "echo 'install ok installed'");
        fake("apt-get", "echo \"$@\" >> " + bin.resolve("apt.log"));
        Run r = run(false);
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(calls()).isEmpty();
    }

    @Test
    void notRootAndNoSudoSaysWhatToRunAndFailsOnlyInCi() throws Exception {
        fake("dpkg-query", "case \"$3\" in haproxy) exit 1;; *) echo 'install ok installed';; esac");
        fake("id", "echo 1000");
        fake("sudo", "exit 1");
        fake("apt-get", "echo \"$@\" >> " + bin.resolve("apt.log"));
        Run r = run(false);
        assertThat(r.exit()).as("outside CI the tests that need it skip, each naming its package").isZero();
        assertThat(r.err()).contains("missing haproxy").contains("sudo apt-get install -y haproxy").contains("SKIPPED");
        Run ci = run(true);
        assertThat(ci.exit()).as("in CI a missing program is a failure").isEqualTo(1);
        assertThat(ci.err()).contains("missing haproxy");
        assertThat(calls()).isEmpty();
    }
}
