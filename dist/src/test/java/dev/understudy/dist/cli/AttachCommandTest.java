package dev.understudy.dist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.cert.Certificates;
import dev.understudy.common.testing.RecordingTlsServer;
import dev.understudy.common.testing.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `understudy attach` without a fingerprint, in-process against a fake master that records what it
 * receives: the operator sees the fingerprint and is asked before anything is sent; not on a
 * terminal it refuses. (AttachTrustIT does the same on a real pseudo-terminal with real nodes.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AttachCommandTest {

    @TempDir
    Path tmp;
    RecordingTlsServer fakeMaster;
    Path password;

    @BeforeEach
    void start() throws Exception {
        fakeMaster = RecordingTlsServer.start(TestCertificates.selfSigned("fake-master"), Duration.ofSeconds(5));
        password = Files.writeString(tmp.resolve("pw"), "s3cret-password\n");
    }

    @AfterEach
    void stop() throws Exception {
        fakeMaster.close();
    }

    private record Result(int exit, String out, String err) {}

    private static Result run(WizardConsole console, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.execute(new CliContext(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), () -> console), args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private String[] attach(String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("attach", "--home", tmp.resolve("shadow").toString(),
                "--master", "127.0.0.1:" + fakeMaster.port(), "--user", "admin", "--password-file", password.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void answeringNoShowsTheFingerprintAndSendsNothing() throws Exception {
        ScriptedConsole terminal = new ScriptedConsole("n");
        Result r = run(terminal, attach());
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).startsWith("understudy: ").contains("not trusted", "no password was sent", "--master-fingerprint")
                .hasLineCount(1);
        assertThat(terminal.shown).anySatisfy(l -> assertThat(l)
                .contains("SHA256:" + Certificates.fingerprint(fakeMaster.certificate())));
        assertThat(terminal.prompts).containsExactly("Trust this master? [y/N] ");
        List<RecordingTlsServer.Connection> seen = fakeMaster.awaitConnections(1, Duration.ofSeconds(10));
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).handshakeCompleted()).as("the certificate probe aborts the handshake").isFalse();
        assertThat(seen.get(0).received()).as("no byte of application data (no HELLO, no password)").isEmpty();
    }

    @Test
    void anythingButYesAborts() throws Exception {
        for (String answer : new String[] {"", "N", "no", "yess", " j "}) {
            ScriptedConsole terminal = new ScriptedConsole(answer);
            Result r = run(terminal, attach());
            assertThat(r.exit()).as("answer '%s': %s", answer, r).isEqualTo(1);
            assertThat(r.err()).contains("not trusted");
        }
        Result eof = run(new ScriptedConsole(), attach());
        assertThat(eof.exit()).as("end of input: %s", eof).isEqualTo(1);
        assertThat(fakeMaster.awaitConnections(6, Duration.ofSeconds(10)))
                .allSatisfy(c -> assertThat(c.received()).isEmpty());
    }

    @Test
    void notOnATerminalItRefusesWithoutAFlagBeforeTouchingAnything() {
        Path missingPasswordFile = tmp.resolve("does-not-exist");
        Result r = run(null, "attach", "--home", tmp.resolve("shadow").toString(), "--master",
                "127.0.0.1:" + fakeMaster.port(), "--user", "admin", "--password-file", missingPasswordFile.toString());
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).startsWith("understudy: --master-fingerprint: missing").contains("--trust-first-use")
                .hasLineCount(1);
        assertThat(fakeMaster.connections()).as("nothing connected to the master").isEmpty();
    }

    @Test
    void bothFlagsOrAMalformedFingerprintAreUsageErrors() {
        String fp = Certificates.fingerprint(fakeMaster.certificate());
        Result both = run(null, attach("--master-fingerprint", fp, "--trust-first-use"));
        assertThat(both.exit()).as(both.toString()).isEqualTo(2);
        assertThat(both.err()).contains("--trust-first-use", "--master-fingerprint").hasLineCount(1);
        Result bad = run(null, attach("--master-fingerprint", "AB:CD"));
        assertThat(bad.exit()).as(bad.toString()).isEqualTo(2);
        assertThat(bad.err()).contains("--master-fingerprint: AB:CD (expected: the 64 hex digits").hasLineCount(1);
        assertThat(fakeMaster.connections()).isEmpty();
    }

    @Test
    void aMasterAddressWithoutTlsIsOneClearLine() throws Exception {
        try (java.net.ServerSocket nothing = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = nothing.getLocalPort();
            nothing.close();
            Result r = run(new ScriptedConsole("y"), "attach", "--home", tmp.resolve("shadow").toString(), "--master",
                    "127.0.0.1:" + port, "--user", "admin", "--password-file", password.toString());
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).contains("--master 127.0.0.1:" + port + ": cannot read the master's certificate")
                    .hasLineCount(1);
        }
    }
}
