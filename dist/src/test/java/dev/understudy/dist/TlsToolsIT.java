package dev.understudy.dist;

import static dev.understudy.dist.testing.NodeProcess.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.cert.Certificates;
import dev.understudy.common.home.NodeHome;
import dev.understudy.dist.node.RunFile;
import dev.understudy.dist.testing.NodeProcess;
import java.io.File;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The TLS a real master offers, checked with the tools an auditor would use: {@code openssl s_client},
 * {@code sslscan} and {@code testssl} (Debian packages {@code openssl}, {@code sslscan}, {@code testssl.sh}).
 * The HA port admits only TLS 1.3 with the pinned peer's certificate; the admin port (HTTPS for
 * browsers and curl) offers TLS 1.2 and 1.3 with strong suites only and refuses client-initiated
 * renegotiation. Without the tools the test is skipped, except in CI
 * (env {@code CI} set), where a missing tool fails it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsToolsIT {

    private static final long TOOL_TIMEOUT_SECONDS = 60;
    private static final long INPUT_GRACE_SECONDS = 10;
    /** Cipher-name fragments that mark a weak or unauthenticated suite. */
    private static final List<String> WEAK = List.of("NULL", "EXP", "RC4", "DES", "ADH", "AECDH", "ANON", "MD5", "PSK", "SRP");

    private final NodeProcess.Fleet fleet = new NodeProcess.Fleet();
    private Path work;
    private RunFile run;
    private Path shadowCrt;
    private Path shadowKey;
    private Path rogueCrt;
    private Path rogueKey;

    @BeforeAll
    void startPairedMaster() throws Exception {
        requireTool("openssl");
        requireTool("sslscan");
        work = NodeProcess.newWorkDir("tls-tools");
        Path password = work.resolve("admin-password");
        Files.writeString(password, "it-admin-password\n");
        Path homeDir = work.resolve("master");
        ok("init", "--home", homeDir.toString(), "--role", "master", "--admin-port", "0", "--ha-port", "0",
                "--non-interactive", "--admin-password-file", password.toString(), "--node-id", "tls-master");

        // the home as pairing leaves it: a pinned shadow certificate (whose key this test holds) and a peer
        // address; nothing listens there, so the master finds its peer gone and serves
        Instant now = Instant.now();
        KeyPair shadow = Certificates.newKeyPair();
        X509Certificate shadowCert = Certificates.selfSigned(shadow,
                Certificates.Spec.node("understudy-tls-shadow", now, 2, List.of("127.0.0.1")));
        KeyPair rogue = Certificates.newKeyPair();
        X509Certificate rogueCert = Certificates.selfSigned(rogue,
                Certificates.Spec.node("understudy-tls-shadow", now, 2, List.of("127.0.0.1")));
        shadowCrt = work.resolve("shadow.crt");
        shadowKey = work.resolve("shadow.key");
        rogueCrt = work.resolve("rogue.crt");
        rogueKey = work.resolve("rogue.key");
        Certificates.writeCertificate(shadowCrt, shadowCert);
        Certificates.writePrivateKey(shadowKey, shadow.getPrivate());
        Certificates.writeCertificate(rogueCrt, rogueCert);
        Certificates.writePrivateKey(rogueKey, rogue.getPrivate());
        NodeHome home = new NodeHome(homeDir);
        Certificates.writeCertificate(home.peerCrt(), shadowCert);
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        home.saveSettings(home.loadSettings().withPeer("127.0.0.1:" + closedPort, "tls-shadow"));

        run = fleet.start(homeDir).awaitReady();
        assertThat(run.haPort()).isPositive();
    }

    @AfterAll
    void stop() throws InterruptedException {
        fleet.close();
    }

    // ------------------------------------------------------------------ openssl s_client, HA port

    @Test
    void haPortAdmitsThePinnedPeer() throws Exception {
        // the control: the same command with the pinned certificate completes the handshake
        ToolResult r = sClient(run.haPort(), "-tls1_3", "-cert", shadowCrt.toString(), "-key", shadowKey.toString());
        assertThat(r.output()).as(r.toString()).contains("TLSv1.3").doesNotContainIgnoringCase("alert");
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    @Test
    void haPortRefusesAClientWithoutCertificate() throws Exception {
        ToolResult r = sClient(run.haPort(), "-tls1_3");
        assertRefused(r);
    }

    @Test
    void haPortRefusesARogueCertificate() throws Exception {
        ToolResult r = sClient(run.haPort(), "-tls1_3", "-cert", rogueCrt.toString(), "-key", rogueKey.toString());
        assertRefused(r);
    }

    @Test
    void haPortRefusesTls12() throws Exception {
        ToolResult r = sClient(run.haPort(), "-tls1_2", "-cert", shadowCrt.toString(), "-key", shadowKey.toString());
        assertThat(r.exit()).as(r.toString()).isNotZero();
        assertThat(r.output()).as(r.toString()).containsIgnoringCase("alert protocol version")
                .contains("Cipher is (NONE)");
    }

    private static void assertRefused(ToolResult r) {
        assertThat(r.exit()).as(r.toString()).isNotZero();
        assertThat(r.output()).as(r.toString()).containsPattern("alert (bad certificate|certificate unknown|certificate required"
                + "|handshake failure|unknown ca)");
    }

    // ------------------------------------------------------------------ sslscan, both ports

    @Test
    void sslscanHaPort() throws Exception {
        Scan scan = sslscan(run.haPort());
        assertThat(scan.enabled()).as(scan.raw()).containsExactly("TLSv1.3");
        assertStrong(scan);
    }

    @Test
    void sslscanAdminPort() throws Exception {
        Scan scan = sslscan(run.adminPort());
        assertThat(scan.enabled()).as(scan.raw()).containsExactlyInAnyOrder("TLSv1.2", "TLSv1.3");
        assertStrong(scan);
        // TLS 1.2 suites: forward secrecy and AEAD only
        for (String c : scan.ciphers()) {
            if (c.startsWith("TLSv1.2 ")) {
                assertThat(c).as(scan.raw()).contains("ECDHE").containsPattern("GCM|CHACHA20");
            }
        }
    }

    // ------------------------------------------------------------------ renegotiation, admin port

    @Test
    void adminPortRefusesClientInitiatedRenegotiation() throws Exception {
        // s_client's interactive "R" renegotiates a TLS 1.2 session; the node answers with a fatal alert and closes
        ToolResult r = toolWithInput("R\n", "openssl", "s_client", "-connect", "127.0.0.1:" + run.adminPort(),
                "-servername", "localhost", "-tls1_2");
        assertThat(r.output()).as(r.toString()).contains("Protocol  : TLSv1.2").contains("RENEGOTIATING")
                .containsPattern("alert (handshake failure|no renegotiation)");
    }

    @Test
    void testsslFindsNoRenegotiationWeaknessOnTheAdminPort() throws Exception {
        requireTool("testssl");
        ToolResult r = tool("testssl", "--quiet", "--color", "0", "--warnings", "off", "-R", "127.0.0.1:" + run.adminPort());
        assertThat(r.output()).as(r.toString())
                .containsPattern("Secure Renegotiation \\(RFC 5746\\)\\s+supported \\(OK\\)")
                .containsPattern("Secure Client-Initiated Renegotiation\\s+not vulnerable \\(OK\\)")
                .doesNotContain("VULNERABLE");
    }

    private static void assertStrong(Scan scan) {
        assertThat(scan.disabled()).as(scan.raw()).contains("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1");
        assertThat(scan.ciphers()).as("accepted ciphers in:%n%s", scan.raw()).isNotEmpty();
        for (String c : scan.ciphers()) {
            String name = c.toUpperCase(Locale.ROOT);
            for (String weak : WEAK) {
                assertThat(name).as("weak suite accepted: %s%n%s", c, scan.raw()).doesNotContain(weak);
            }
        }
    }

    // ------------------------------------------------------------------ running the tools

    record ToolResult(int exit, String output) {
        @Override
        public String toString() {
            return "exit " + exit + ", output:\n" + output;
        }
    }

    /** {@code sslscan} output: protocols enabled and disabled, and "PROTO BITS CIPHER" per accepted suite. */
    record Scan(List<String> enabled, List<String> disabled, List<String> ciphers, String raw) {}

    private static final Pattern PROTOCOL = Pattern.compile("^(SSLv2|SSLv3|TLSv1\\.[0-3])\\s+(enabled|disabled)\\s*$");
    private static final Pattern CIPHER = Pattern.compile("^(?:Preferred|Accepted)\\s+(TLSv1\\.[0-3]|SSLv[23])\\s+(\\d+) bits\\s+(\\S+)");

    private Scan sslscan(int port) throws Exception {
        ToolResult r = tool("sslscan", "--no-colour", "127.0.0.1:" + port);
        assertThat(r.exit()).as(r.toString()).isZero();
        List<String> enabled = new ArrayList<>();
        List<String> disabled = new ArrayList<>();
        List<String> ciphers = new ArrayList<>();
        for (String line : r.output().split("\n")) {
            Matcher p = PROTOCOL.matcher(line.strip());
            if (p.matches()) {
                (p.group(2).equals("enabled") ? enabled : disabled).add(p.group(1));
            }
            Matcher c = CIPHER.matcher(line.strip());
            if (c.find()) {
                ciphers.add(c.group(1) + " " + c.group(2) + " " + c.group(3));
            }
        }
        assertThat(enabled.size() + disabled.size()).as("protocol lines in:%n%s", r.output()).isEqualTo(6);
        return new Scan(enabled, disabled, ciphers, r.output());
    }

    /** s_client that reads until the server closes ({@code -ign_eof}), so a refusal after the handshake shows. */
    private ToolResult sClient(int port, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost", "-ign_eof"));
        cmd.addAll(List.of(extra));
        return tool(cmd.toArray(String[]::new));
    }

    private ToolResult tool(String... cmd) throws Exception {
        Path out = Files.createTempFile(work, "tool", ".out");
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(String.join(" ", cmd) + ": did not finish within " + TOOL_TIMEOUT_SECONDS + " s:\n"
                    + Files.readString(out, StandardCharsets.UTF_8));
        }
        return new ToolResult(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    /**
     * Runs a tool with {@code input} on its standard input, which stays open (s_client quits at end of
     * input) until the tool ends or {@value #INPUT_GRACE_SECONDS} s have passed.
     */
    private ToolResult toolWithInput(String input, String... cmd) throws Exception {
        Path out = Files.createTempFile(work, "tool", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try (var stdin = p.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.US_ASCII));
            stdin.flush();
            p.waitFor(INPUT_GRACE_SECONDS, TimeUnit.SECONDS);
        }
        if (!p.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(String.join(" ", cmd) + ": did not finish within " + TOOL_TIMEOUT_SECONDS + " s:\n"
                    + Files.readString(out, StandardCharsets.UTF_8));
        }
        return new ToolResult(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    private static void requireTool(String name) {
        dev.understudy.dist.testing.ExternalTools.requireOnPath(name, name);
    }
}
