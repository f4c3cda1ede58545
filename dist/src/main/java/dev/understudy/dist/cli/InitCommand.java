package dev.understudy.dist.cli;

import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.HomeInitializer;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.PasswordHasher;
import dev.understudy.common.home.Role;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code understudy init}: creates a node home, asking through the first-start wizard what flags did not say. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create a node home: settings, key and certificate, admin user and token.")
final class InitCommand implements Callable<Integer> {

    /** Both nodes bind every interface by default; the CLI talks to 127.0.0.1. */
    static final String BIND_ALL = "0.0.0.0";

    private final CliContext ctx;

    @Mixin
    HomeOption home;

    @Option(names = "--role", paramLabel = "master|shadow", description = "role of this node (asked when missing on a terminal)")
    String role;

    @Option(names = "--admin-port", paramLabel = "N", description = "admin API port (default 8443; 0 = chosen by the OS)")
    Integer adminPort;

    @Option(names = "--ha-port", paramLabel = "N", description = "HA channel port (default 8444; 0 = chosen by the OS)")
    Integer haPort;

    @Option(names = "--admin-user", paramLabel = "U", description = "admin user (default admin)")
    String adminUser;

    @Option(names = "--admin-password-file", paramLabel = "F", description = "file whose first line is the admin password")
    Path passwordFile;

    @Option(names = "--node-id", paramLabel = "ID", description = "node id (default: host name and a random suffix)")
    String nodeId;

    @Option(names = "--master", paramLabel = "HOST:PORT", description = "for a shadow: the master's HA address")
    String master;

    @Option(names = "--non-interactive", description = "never ask; fail when something required is missing")
    boolean nonInteractive;

    InitCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws IOException {
        Path dir = home.dir();
        NodeHome nodeHome = new NodeHome(dir);
        if (nodeHome.exists() || Files.exists(nodeHome.stateJson())) {
            throw CliException.failed(dir + ": already holds a node home (choose another --home, or run "
                    + "`understudy reset --home " + dir + "` to re-pair this node)");
        }
        Wizard.Answers a = flags();
        WizardConsole console = nonInteractive ? null : ctx.console().get();
        if (a.role == null && console == null) {
            throw CliException.usage("--role: missing (expected: master or shadow; required with --non-interactive "
                    + "or without a terminal)");
        }
        if (a.password == null && console == null) {
            throw CliException.usage("--admin-password-file: missing (expected: a file holding the admin password; "
                    + "required with --non-interactive or without a terminal)");
        }
        if (console != null && (a.role == null || a.password == null)) {
            if (a.role != null) {
                // role given: only what is still missing (the password) is asked; the rest keeps defaults
                fillDefaults(a);
            }
            new Wizard(console).complete(a);
        }
        fillDefaults(a);
        String id = nodeId != null ? nodeId : defaultNodeId();
        Instant now = Instant.ofEpochMilli(Clock.system().currentTimeMillis());
        NodeHome created;
        try {
            created = HomeInitializer.create(dir, new HomeInitializer.Request(id, a.role, BIND_ALL, a.adminPort,
                    BIND_ALL, a.haPort, a.adminUser, a.password, a.masterAddress), now);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        } finally {
            PasswordHasher.wipe(a.password);
        }
        summary(ctx.out(), created, id, a);
        return 0;
    }

    /** The answers the flags already give; checks them like the wizard would. */
    private Wizard.Answers flags() throws IOException {
        Wizard.Answers a = new Wizard.Answers();
        try {
            a.role = role == null ? null : Wizard.role(role);
            a.adminPort = adminPort == null ? null : Wizard.port("--admin-port", adminPort.toString());
            a.haPort = haPort == null ? null : Wizard.port("--ha-port", haPort.toString());
            a.adminUser = adminUser == null ? null : Wizard.user(adminUser);
            a.masterAddress = master == null ? null : HostPort.parse(master).toString();
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        if (a.masterAddress != null && a.role == Role.MASTER) {
            throw CliException.usage("--master: " + master + " (expected: only for --role shadow)");
        }
        if (passwordFile != null) {
            a.password = readPassword(passwordFile);
        }
        return a;
    }

    private static void fillDefaults(Wizard.Answers a) {
        if (a.adminPort == null) {
            a.adminPort = dev.understudy.common.home.NodeSettings.DEFAULT_ADMIN_PORT;
        }
        if (a.haPort == null) {
            a.haPort = dev.understudy.common.home.NodeSettings.DEFAULT_HA_PORT;
        }
        if (a.adminUser == null) {
            a.adminUser = "admin";
        }
    }

    /** The first line of {@code file}, without its line end. */
    static char[] readPassword(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw CliException.failed("--admin-password-file: " + file + ": cannot read (" + e.getMessage() + ")");
        }
        CharBuffer chars = StandardCharsets.UTF_8.decode(java.nio.ByteBuffer.wrap(bytes));
        java.util.Arrays.fill(bytes, (byte) 0);
        int end = 0;
        while (end < chars.limit() && chars.get(end) != '\n' && chars.get(end) != '\r') {
            end++;
        }
        char[] out = new char[end];
        chars.get(out, 0, end);
        java.util.Arrays.fill(chars.array(), '\0');
        if (out.length == 0) {
            throw CliException.usage("--admin-password-file: " + file + ": empty (expected: the admin password on the first line)");
        }
        return out;
    }

    private static String defaultNodeId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-");
            int dot = host.indexOf('.');
            if (dot > 0) {
                host = host.substring(0, dot);
            }
        } catch (IOException e) {
            host = "node";
        }
        if (host.isEmpty() || !Character.isLetterOrDigit(host.charAt(0))) {
            host = "node";
        }
        if (host.length() > 40) {
            host = host.substring(0, 40);
        }
        byte[] suffix = new byte[2];
        new SecureRandom().nextBytes(suffix);
        return host + "-" + HexFormat.of().formatHex(suffix);
    }

    private void summary(PrintStream out, NodeHome h, String id, Wizard.Answers a) throws IOException {
        String fp = Certificates.fingerprint(Certificates.readCertificate(h.nodeCrt()));
        out.println("Created node home " + h.root());
        out.println("  node id       " + id);
        out.println("  role          " + a.role);
        out.println("  admin port    " + portText(a.adminPort));
        out.println("  HA port       " + portText(a.haPort));
        out.println("  admin user    " + a.adminUser);
        if (a.masterAddress != null) {
            out.println("  master        " + a.masterAddress);
        }
        out.println("  certificate   SHA256:" + fp);
        out.println("Next: understudy run --home " + home.shown());
        if (a.role == Role.SHADOW) {
            out.println("Then: understudy attach --home " + home.shown() + " --master "
                    + (a.masterAddress == null ? "HOST:HAPORT" : a.masterAddress) + " --user " + a.adminUser
                    + " --password-file F --master-fingerprint SHA256");
            out.println("      (SHA256: the master's certificate, as `understudy status` shows on the master)");
        } else {
            out.println("Then, on the shadow: understudy attach --home D --master THIS-HOST:"
                    + (a.haPort == 0 ? "HAPORT" : Integer.toString(a.haPort)) + " --user " + a.adminUser
                    + " --password-file F --master-fingerprint SHA256:" + fp);
        }
    }

    private static String portText(int p) {
        return p == 0 ? "0 (chosen by the OS at start; see run.json)" : Integer.toString(p);
    }
}
