package dev.understudy.dist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.json.Json;
import dev.understudy.dist.node.NodeRuntime;
import dev.understudy.dist.node.RunFile;
import dev.understudy.dist.testing.TestHomes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;

/** The CLI in-process: exit codes, one-line errors, init, and commands against a running node. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliTest {

    @TempDir
    static Path shared;
    static NodeRuntime node;
    static String home;

    @TempDir
    Path tmp;

    /** The outcome of one command line. */
    record Result(int exit, String out, String err) {
        JsonNode json() throws IOException {
            return Json.tree(out);
        }
    }

    static Result withConsole(WizardConsole console, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.execute(new CliContext(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), () -> console), args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Result cli(String... args) {
        return withConsole(null, args);
    }

    @BeforeAll
    static void startNode() throws IOException {
        Path dir = shared.resolve("master");
        TestHomes.master(dir, "cli-master");
        node = NodeRuntime.open(new NodeHome(dir), Clock.system());
        node.start();
        home = dir.toString();
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    private static void assertOneLineError(Result r, int exit, String... fragments) {
        assertThat(r.exit()).as("exit code of %s", r).isEqualTo(exit);
        assertThat(r.err()).startsWith("understudy: ").endsWith("\n");
        assertThat(r.err().strip()).doesNotContain("\n").doesNotContain("\tat ").doesNotContain("Exception");
        for (String f : fragments) {
            assertThat(r.err()).contains(f);
        }
    }

    // ------------------------------------------------------------------ usage and failures

    @Test
    void unknownFlagIsBadUsage() {
        assertOneLineError(cli("status", "--bogus"), 2, "Unknown option: '--bogus'", "understudy status --help");
    }

    @Test
    void missingSubcommandIsBadUsage() {
        assertOneLineError(cli(), 2, "Missing required subcommand");
        assertOneLineError(cli("config"), 2, "Missing required subcommand");
    }

    @Test
    void missingHomeFailsNamingTheFileAndWhatToDo() {
        Path none = tmp.resolve("nothing-here");
        assertOneLineError(cli("status", "--home", none.toString()), 1,
                none.resolve("node.json").toString() + ": not found", "understudy init --home");
    }

    @Test
    void nodeNotRunningWhenPortIsChosenAtStart() throws IOException {
        Path dir = tmp.resolve("idle");
        TestHomes.master(dir, "idle");
        assertOneLineError(cli("status", "--home", dir.toString()), 1, "no node is running",
                "understudy run --home " + dir);
    }

    @Test
    void nodeNotRunningAtTheRecordedPort() throws IOException {
        Path dir = tmp.resolve("gone");
        TestHomes.master(dir, "gone");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        new RunFile(ProcessHandle.current().pid(), port, 0, "2026-01-01T00:00:00Z").write(dir);
        assertOneLineError(cli("mapping", "list", "--home", dir.toString()), 1,
                "no node is running at https://127.0.0.1:" + port, "start it with `understudy run --home " + dir + "`");
    }

    @Test
    void aDifferentNodesCertificateIsRefused() throws IOException {
        Path dir = tmp.resolve("impostor");
        TestHomes.master(dir, "impostor");
        // this home's run.json points at the shared node, which presents another certificate
        new RunFile(ProcessHandle.current().pid(), node.adminPort(), 0, "2026-01-01T00:00:00Z").write(dir);
        assertOneLineError(cli("status", "--home", dir.toString()), 1, "did not present this home's certificate");
    }

    // ------------------------------------------------------------------ init

    @Test
    void initNonInteractiveWithoutRoleNamesTheFlag() {
        Result r = withConsole(new ScriptedConsole(), "init", "--home", tmp.resolve("h").toString(), "--non-interactive");
        assertOneLineError(r, 2, "--role: missing");
        assertThat(tmp.resolve("h")).doesNotExist();
    }

    @Test
    void initWithoutTerminalNeedsThePasswordFile() {
        Result r = withConsole(null, "init", "--home", tmp.resolve("h").toString(), "--role", "master");
        assertOneLineError(r, 2, "--admin-password-file: missing");
    }

    @Test
    void initNonInteractiveCreatesTheHome() throws IOException {
        Path pw = tmp.resolve("pw");
        Files.writeString(pw, "a-good-password\n");
        Path dir = tmp.resolve("ni");
        Result r = withConsole(null, "init", "--home", dir.toString(), "--role", "shadow", "--admin-port", "0", "--ha-port", "0",
                "--admin-password-file", pw.toString(), "--non-interactive", "--node-id", "s1", "--master", "10.1.1.1:8444");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("s1", "shadow", "SHA256:", "understudy run --home " + dir, "understudy attach");
        NodeSettings s = new NodeHome(dir).loadSettings();
        assertThat(s.nodeId()).isEqualTo("s1");
        assertThat(s.adminPort()).isZero();
        assertThat(s.peerAddress()).isEqualTo("10.1.1.1:8444");
        assertThat(new NodeHome(dir).loadState().role().wireName()).isEqualTo("shadow");
    }

    @Test
    void initRefusesAnExistingHomeAndChangesNothing() throws IOException {
        Path pw = tmp.resolve("pw");
        Files.writeString(pw, "a-good-password\n");
        Path dir = Path.of(home);
        byte[] before = Files.readAllBytes(dir.resolve("node.json"));
        List<Path> filesBefore = list(dir);
        Result r = withConsole(null, "init", "--home", home, "--role", "master", "--admin-password-file", pw.toString(),
                "--non-interactive");
        assertOneLineError(r, 1, "already holds a node home");
        assertThat(Files.readAllBytes(dir.resolve("node.json"))).isEqualTo(before);
        assertThat(list(dir)).isEqualTo(filesBefore);
    }

    @Test
    void initRunsTheWizardOnATerminal() throws IOException {
        Path dir = tmp.resolve("wiz");
        ScriptedConsole c = new ScriptedConsole("master", "0", "0", "ops", "pw-mismatch-1", "pw-mismatch-2",
                "pw-finally-ok", "pw-finally-ok");
        Result r = withConsole(c, "init", "--home", dir.toString(), "--node-id", "w1");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(c.shown).anySatisfy(l -> assertThat(l).contains("the two passwords differ"));
        assertThat(r.out()).contains("w1", "master", "ops", "SHA256:");
        NodeHome h = new NodeHome(dir);
        String fp = dev.understudy.common.cert.Certificates.fingerprint(
                dev.understudy.common.cert.Certificates.readCertificate(h.nodeCrt()));
        assertThat(r.out()).as("the next step for the shadow names this master's fingerprint")
                .contains("understudy attach", "--master-fingerprint SHA256:" + fp);
        assertThat(h.loadSettings().adminPort()).isZero();
        assertThat(h.loadState().role().wireName()).isEqualTo("master");
    }

    @Test
    void initRejectsABadPortFlag() {
        assertOneLineError(withConsole(null, "init", "--home", tmp.resolve("p").toString(), "--admin-port", "70000"), 2,
                "--admin-port: 70000 (expected: 0..65535)");
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.sorted().toList();
        }
    }

    // ------------------------------------------------------------------ against the running node

    @Test
    void statusShowsNodeLocalAndReplicated() throws IOException {
        Result r = cli("status", "--home", home);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("cli-master (master)", "ACTIVE_ALONE", "node-local settings", "takeoverDelay",
                "2s (default)", "replicated configuration", "users");
        JsonNode j = cli("status", "--home", home, "--json").json();
        assertThat(j.path("nodeId").asText()).isEqualTo("cli-master");
        assertThat(j.path("role").asText()).isEqualTo("master");
        assertThat(j.path("state").asText()).isEqualTo("ACTIVE_ALONE");
        assertThat(j.path("epoch").asLong()).isEqualTo(1);
        assertThat(j.path("revision").asLong()).isEqualTo(node.store().revision());
        assertThat(j.path("configHash").asText()).isEqualTo(node.store().hash());
        assertThat(j.path("peer").has("lagRevisions")).isTrue();
        assertThat(j.path("settings").path("scope").asText()).isEqualTo("node-local");
        assertThat(j.path("replicated").path("collections").path("users").asInt()).isEqualTo(1);
    }

    @Test
    void mappingsAndSettingsRoundTrip() throws IOException {
        Result add = cli("mapping", "add", "--home", home, "--id", "db", "--listen-port", "15432",
                "--backend-host", "10.0.0.7", "--backend-port", "5432", "--description", "postgres");
        assertThat(add.exit()).as(add.err()).isZero();
        assertThat(add.out()).matches("committed revision \\d+ \\(replicated: false\\)\\R");
        assertOneLineError(cli("mapping", "add", "--home", home, "--id", "db", "--listen-port", "15433",
                "--backend-host", "h", "--backend-port", "1"), 1, "mapping db: already exists");
        JsonNode list = cli("mapping", "list", "--home", home, "--json").json();
        assertThat(list.isArray()).isTrue();
        JsonNode db = null;
        for (JsonNode m : list) {
            if (m.path("id").asText().equals("db")) {
                db = m;
            }
        }
        assertThat(db).isNotNull();
        assertThat(db.path("listenHost").asText()).isEqualTo("0.0.0.0");
        assertThat(db.path("listenPort").asInt()).isEqualTo(15432);
        assertThat(db.path("backendHost").asText()).isEqualTo("10.0.0.7");
        assertThat(db.path("backendPort").asInt()).isEqualTo(5432);
        assertThat(db.path("description").asText()).isEqualTo("postgres");
        assertThat(cli("mapping", "list", "--home", home).out()).contains("db", "0.0.0.0:15432", "10.0.0.7:5432");

        assertThat(cli("config", "put", "--home", home, "settings", "motd", "\"hello\"").exit()).isZero();
        assertThat(cli("config", "get", "--home", home, "settings", "motd").json().asText()).isEqualTo("hello");
        JsonNode whole = cli("config", "get", "--home", home).json();
        assertThat(whole.path("settings").path("motd").asText()).isEqualTo("hello");
        assertThat(whole.path("users").toString()).contains("admin").doesNotContain("pbkdf2");

        Result remove = cli("mapping", "remove", "--home", home, "--id", "db");
        assertThat(remove.exit()).as(remove.err()).isZero();
        assertOneLineError(cli("mapping", "remove", "--home", home, "--id", "db"), 1, "mapping db: no such mapping");
        assertThat(cli("config", "delete", "--home", home, "settings", "motd").exit()).isZero();
    }

    @Test
    void invalidValuesAreRejectedWithTheFieldNamed() {
        assertOneLineError(cli("mapping", "add", "--home", home, "--id", "bad", "--listen-port", "70000",
                "--backend-host", "h", "--backend-port", "1"), 1, "ops[0].value.listenPort: 70000 (expected: a port 1..65535)");
        assertOneLineError(cli("config", "put", "--home", home, "settings", "motd", "hello"), 2, "not valid JSON");
        assertOneLineError(cli("config", "get", "--home", home, "widgets"), 2, "collection: widgets");
        assertOneLineError(cli("mapping", "add", "--home", home, "--id", "x", "--listen-port", "abc",
                "--backend-host", "h", "--backend-port", "1"), 2, "--listen-port");
        assertOneLineError(cli("mapping", "add", "--home", home, "--id", "x"), 2, "Missing required option");
    }

    @Test
    void alertsAreListedAndAcknowledged() throws IOException {
        var a = node.alerts().raise(Severity.WARNING, AlertCategory.CERT_EXPIRING, "cli-test", "certificate expires in 20 days; renew it");
        Result table = cli("alerts", "--home", home);
        assertThat(table.out()).contains("SEVERITY", "CATEGORY", "AGE", "MESSAGE", "WARNING", "CERT_EXPIRING",
                "certificate expires in 20 days");
        JsonNode json = cli("alerts", "--home", home, "--json").json();
        assertThat(json.isArray()).isTrue();
        JsonNode first = json.get(0);
        assertThat(first.properties().stream().map(e -> e.getKey()).toList()).containsExactly("id", "severity",
                "category", "message", "firstSeen", "lastSeen", "count", "resolved", "acknowledged");
        Result ack = cli("alerts", "ack", "--home", home, a.id());
        assertThat(ack.exit()).as(ack.err()).isZero();
        assertThat(node.alerts().list(false)).anySatisfy(x -> {
            assertThat(x.id()).isEqualTo(a.id());
            assertThat(x.acknowledged()).isTrue();
        });
        // --home on the parent command reaches the subcommand too
        assertThat(cli("alerts", "--home", home, "ack", a.id()).exit()).isZero();
        assertOneLineError(cli("alerts", "ack", "--home", home, "999999"), 1, "alert: 999999");
        node.alerts().resolve(AlertCategory.CERT_EXPIRING, "cli-test");
        assertThat(cli("alerts", "--home", home).out()).doesNotContain("certificate expires");
        assertThat(cli("alerts", "--home", home, "--all").out()).contains("certificate expires", "[resolved]");
    }
}
