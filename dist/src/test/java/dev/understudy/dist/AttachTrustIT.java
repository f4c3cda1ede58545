package dev.understudy.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.understudy.common.cert.Certificates;
import dev.understudy.common.testing.RecordingTlsServer;
import dev.understudy.common.testing.TestCertificates;
import dev.understudy.dist.testing.NodeProcess;
import dev.understudy.dist.testing.TestHomes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * `understudy attach` without --master-fingerprint, as an operator runs it: on a real pseudo-terminal
 * (util-linux `script`), it shows the master's fingerprint and asks before the password leaves the
 * node; "n" sends nothing (a fake master records every byte), "y" pairs with the real master; and
 * without a terminal it refuses.
 */
class AttachTrustIT {

    private static final String PROMPT = "Trust this master? [y/N]";
    private static final Duration LONG = Duration.ofSeconds(60);

    private final NodeProcess.Fleet fleet = new NodeProcess.Fleet();
    private RecordingTlsServer fakeMaster;

    @AfterEach
    void cleanUp() throws Exception {
        fleet.close();
        if (fakeMaster != null) {
            fakeMaster.close();
        }
    }

    /** The outcome of one command on a pseudo-terminal: exit code and everything the terminal showed. */
    private record TerminalRun(int exit, String screen) {}

    /**
     * Runs {@code understudy ARGS} on a pseudo-terminal, waits for the trust prompt, types {@code answer}
     * and Enter, and waits for the command to end.
     */
    private static TerminalRun onTerminal(String answer, String... args) throws Exception {
        String command = Stream.concat(Stream.of(NodeProcess.launcher().toString()), Stream.of(args))
                .map(a -> "'" + a.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
        Process p = new ProcessBuilder("script", "-qec", command, "/dev/null").redirectErrorStream(true).start();
        StringBuffer screen = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                byte[] b = new byte[4096];
                for (int n; (n = in.read(b)) >= 0; ) {
                    screen.append(new String(b, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        reader.start();
        try (OutputStream keyboard = p.getOutputStream()) {
            await("the trust prompt").atMost(LONG).pollInterval(Duration.ofMillis(50))
                    .until(() -> screen.indexOf(PROMPT) >= 0 || !p.isAlive());
            assertThat(screen.toString()).as("the command asks before it sends anything").contains(PROMPT);
            keyboard.write((answer + "\r").getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
            if (!p.waitFor(LONG.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("attach on a terminal did not finish within " + LONG + "; screen:\n" + screen);
            }
        }
        reader.join(10_000);
        return new TerminalRun(p.exitValue(), screen.toString());
    }

    @Test
    void withoutAFingerprintTheOperatorIsAskedAndNoMeansNothingIsSent() throws Exception {
        Path work = NodeProcess.newWorkDir("attach-trust");
        Path password = work.resolve("admin-password");
        Path mh = TestHomes.initProcessHome(work.resolve("master"), "trust-master", "master", password);
        Path sh = TestHomes.initProcessHome(work.resolve("shadow"), "trust-shadow", "shadow", password);
        NodeProcess master = fleet.start(mh);
        NodeProcess shadow = fleet.start(sh);
        master.awaitReady();
        shadow.awaitReady();
        fakeMaster = RecordingTlsServer.start(TestCertificates.selfSigned("impostor"), Duration.ofSeconds(5));

        // not on a terminal, no flag: refused before anything is read or sent
        NodeProcess.CliResult refused = NodeProcess.cli("attach", "--home", sh.toString(), "--master",
                "127.0.0.1:" + fakeMaster.port(), "--user", "admin", "--password-file", password.toString());
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err().strip()).doesNotContain("\n").contains("--master-fingerprint", "--trust-first-use");
        assertThat(fakeMaster.connections()).isEmpty();

        // on a terminal against an impostor: its fingerprint is shown, "n" aborts, nothing reached it
        TerminalRun no = onTerminal("n", "attach", "--home", sh.toString(), "--master", "127.0.0.1:" + fakeMaster.port(),
                "--user", "admin", "--password-file", password.toString());
        assertThat(no.exit()).as(no.screen()).isEqualTo(1);
        assertThat(no.screen()).contains("SHA256:" + Certificates.fingerprint(fakeMaster.certificate()))
                .contains("not trusted, so no password was sent");
        List<RecordingTlsServer.Connection> seen = fakeMaster.awaitConnections(1, LONG);
        assertThat(seen).as("only the certificate probe connected; the node never did").hasSize(1);
        assertThat(seen.get(0).handshakeCompleted()).isFalse();
        assertThat(seen.get(0).received()).as("bytes beyond the TLS handshake (a HELLO, a password)").isEmpty();
        assertThat(shadow.status().path("state").asText()).isEqualTo("DETACHED");

        // on a terminal against the real master: its fingerprint is shown, "y" pairs
        TerminalRun yes = onTerminal("y", "attach", "--home", sh.toString(), "--master", "127.0.0.1:" + master.haPort(),
                "--user", "admin", "--password-file", password.toString());
        assertThat(yes.exit()).as(yes.screen()).isZero();
        assertThat(yes.screen()).contains("SHA256:" + TestHomes.fingerprint(mh))
                .contains("attached to master trust-master").contains("in sync with the master");
        shadow.awaitState("STANDBY", LONG);
        assertThat(fakeMaster.connections()).as("the impostor heard nothing more").hasSize(1);
    }
}
