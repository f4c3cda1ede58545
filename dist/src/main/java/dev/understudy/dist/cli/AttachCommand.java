package dev.understudy.dist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.json.Json;
import dev.understudy.ha.tls.CertificateProbe;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code understudy attach}: pairs the running shadow with its master, shows the master's
 * certificate fingerprint, and follows the initial full transfer with a progress bar.
 *
 * <p>The password goes to no master that nobody vouched for: with {@code --master-fingerprint} the
 * node checks the certificate against it; without, on a terminal, the CLI first reads the master's
 * certificate (a TLS handshake it aborts, so nothing is sent), shows its fingerprint and asks; the
 * confirmed fingerprint is then checked by the node as if it had been given. Not on a terminal, only
 * an explicit {@code --trust-first-use} pairs with whatever certificate the master presents.
 */
@Command(name = "attach", mixinStandardHelpOptions = true,
        description = "Pair this (shadow) node with a master; the master's admin password is used once and never stored.")
final class AttachCommand implements Callable<Integer> {

    private static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{64}");
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

    private final CliContext ctx;

    @Mixin
    HomeOption home;

    @Option(names = "--master", required = true, paramLabel = "HOST:HAPORT", description = "the master's HA address")
    String master;

    @Option(names = "--user", required = true, description = "an admin user of the master")
    String user;

    @Option(names = "--password-file", required = true, paramLabel = "F", description = "file holding that user's password")
    Path passwordFile;

    @Option(names = "--master-fingerprint", paramLabel = "SHA256",
            description = "expected SHA-256 fingerprint of the master's certificate (as `understudy status` shows on the master)")
    String fingerprint;

    @Option(names = "--trust-first-use",
            description = "accept whatever certificate the master presents (pin it on first use) without asking")
    boolean trustFirstUse;

    AttachCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        try {
            HostPort.parse(master);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--master: " + master + " (expected: HOST:HAPORT of the master's HA port)");
        }
        if (fingerprint != null && trustFirstUse) {
            throw CliException.usage("--trust-first-use: given with --master-fingerprint (expected: one of them;"
                    + " --master-fingerprint alone checks the master's certificate)");
        }
        if (fingerprint != null && !FINGERPRINT.matcher(Certificates.normalizeFingerprint(fingerprint)).matches()) {
            throw CliException.usage("--master-fingerprint: " + fingerprint
                    + " (expected: the 64 hex digits of SHA-256, colons allowed, as `understudy status` shows on the master)");
        }
        WizardConsole terminal = fingerprint == null && !trustFirstUse ? ctx.console().get() : null;
        if (fingerprint == null && !trustFirstUse && terminal == null) {
            throw CliException.usage("--master-fingerprint: missing, and no terminal to confirm the master's certificate on"
                    + " (expected: --master-fingerprint SHA256 as `understudy status` shows on the master,"
                    + " or --trust-first-use to accept whatever certificate it presents)");
        }
        String password = readPassword(passwordFile);
        if (terminal != null) {
            fingerprint = confirmFingerprint(terminal);
        }
        AdminClient client = AdminClient.forHome(home);
        var body = Json.object().put("master", master).put("user", user).put("password", password);
        if (fingerprint != null) {
            body.put("fingerprint", fingerprint);
        }
        JsonNode r = client.ok(client.post("/api/v1/ha/attach", body));
        ctx.out().println("attached to master " + r.path("masterNodeId").asText() + " at " + master);
        ctx.out().println("master certificate SHA-256 " + r.path("masterFingerprint").asText()
                + (fingerprint == null ? "  (trusted on first use; compare with `understudy status` on the master)"
                : "  (checked by this node)"));
        follow(client);
        return 0;
    }

    /**
     * Reads the master's certificate without sending it anything, shows its fingerprint and asks the
     * operator; returns the fingerprint they confirmed, or fails (exit 1) with nothing sent.
     */
    private String confirmFingerprint(WizardConsole terminal) {
        X509Certificate cert;
        try {
            cert = CertificateProbe.fetch(HostPort.parse(master), PROBE_TIMEOUT);
        } catch (IOException e) {
            throw CliException.failed("--master " + master + ": cannot read the master's certificate: " + e.getMessage());
        }
        String fp = Certificates.fingerprint(cert);
        terminal.println("The master at " + master + " presents the certificate");
        terminal.println("  SHA256:" + fp);
        terminal.println("Compare it with \"certificate SHA256:...\" in `understudy status` on the master.");
        String answer = terminal.readLine("Trust this master? [y/N] ");
        String a = answer == null ? "" : answer.trim().toLowerCase(Locale.ROOT);
        if (!a.equals("y") && !a.equals("yes")) {
            throw CliException.failed("attach: the master's certificate was not trusted, so no password was sent"
                    + " (run attach again and answer y, or pass --master-fingerprint SHA256 from `understudy status` on the master)");
        }
        return fp;
    }

    static String readPassword(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8);
            int nl = s.indexOf('\n');
            String pw = (nl >= 0 ? s.substring(0, nl) : s).replace("\r", "");
            if (pw.isEmpty()) {
                throw CliException.usage("--password-file " + file + ": empty (expected: the password on the first line)");
            }
            return pw;
        } catch (IOException e) {
            throw CliException.failed("--password-file " + file + ": cannot read it (" + e.getMessage() + ")");
        }
    }

    /** Shows the initial transfer until the shadow is in sync (bounded: 5 minutes). */
    private void follow(AdminClient client) {
        Clock clock = Clock.system();
        long deadline = clock.nanoTime() + 300_000_000_000L;
        boolean tty = System.console() != null;
        String last = "";
        while (clock.nanoTime() < deadline) {
            JsonNode s = client.ok(client.get("/api/v1/status"));
            String state = s.path("state").asText();
            JsonNode sync = s.path("sync");
            String line;
            if (sync.isObject() && sync.path("totalBytes").asLong() > 0) {
                long got = sync.path("receivedBytes").asLong();
                long total = sync.path("totalBytes").asLong();
                int pct = (int) (100 * got / total);
                line = String.format("full transfer [%-30s] %3d%%  %,d / %,d bytes  %s", "#".repeat(pct * 30 / 100), pct,
                        got, total, state);
            } else {
                line = "state " + state;
            }
            if (tty) {
                ctx.out().print("\r" + line + "   ");
                ctx.out().flush();
            } else if (!line.equals(last)) {
                ctx.out().println(line);
            }
            last = line;
            if (state.equals("STANDBY")) {
                if (tty) {
                    ctx.out().println();
                }
                ctx.out().println("in sync with the master at revision " + s.path("revision").asLong()
                        + "; this shadow takes over if the master fails");
                return;
            }
            LockSupport.parkNanos(200_000_000L);
        }
        throw CliException.failed("attached, but not in sync after 5 minutes; see `understudy status` and `understudy alerts`");
    }
}
