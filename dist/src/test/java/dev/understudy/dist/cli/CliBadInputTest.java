package dev.understudy.dist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.store.Head;
import dev.understudy.dist.node.NodeRuntime;
import dev.understudy.dist.testing.TestHomes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input on the command line: each is one line on stderr that says what was wrong (exit 2 for
 * bad usage, 1 for a failed operation), the running node stays up with its config unchanged, and
 * a failed {@code init} leaves no home behind.
 */
class CliBadInputTest {

    @TempDir
    static Path shared;
    static NodeRuntime node;
    static String home;

    @TempDir
    Path tmp;

    private Head before;

    record Result(int exit, String out, String err) {}

    static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.execute(new CliContext(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), () -> null), args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void startNode() throws IOException {
        Path dir = shared.resolve("master");
        TestHomes.master(dir, "cli-bad-input");
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

    @BeforeEach
    void remember() {
        before = node.store().head();
    }

    @AfterEach
    void nodeUpAndUnchanged() {
        assertThat(node.store().head()).isEqualTo(before);
        Result status = cli("status", "--home", home, "--json");
        assertThat(status.exit()).as(status.toString()).isZero();
    }

    private static void assertOneLineError(Result r, int exit, String... fragments) {
        assertThat(r.exit()).as("exit code of %s", r).isEqualTo(exit);
        assertThat(r.err()).as(r.toString()).startsWith("understudy: ").endsWith("\n");
        assertThat(r.err().strip()).as(r.toString()).doesNotContain("\n").doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(r.err()).as(r.toString()).contains(fragments);
        assertThat(r.out()).as(r.toString()).isEmpty();
    }

    // ------------------------------------------------------------------ flags

    @Test
    void badFlagsAreBadUsage() {
        assertOneLineError(cli("status", "--home", home, "--jsn"), 2, "--jsn");
        assertOneLineError(cli("status", "--home"), 2, "--home");
        assertOneLineError(cli("mapping", "add", "--home", home, "--id", "x", "--listen-port"), 2, "--listen-port");
        assertOneLineError(cli("config", "put", "--home", home, "settings"), 2, "Missing required parameter");
        assertOneLineError(cli("config", "put", "--home", home, "settings", "a", "1", "extra"), 2, "extra");
        assertOneLineError(cli("frobnicate"), 2, "frobnicate");
        assertOneLineError(cli("alerts", "ack", "--home", home), 2, "Missing required parameter");
    }

    // ------------------------------------------------------------------ init's password file

    @Test
    void missingPasswordFile() {
        Path h = tmp.resolve("h1");
        Path none = tmp.resolve("no-such-password");
        Result r = cli("init", "--home", h.toString(), "--role", "master", "--non-interactive",
                "--admin-password-file", none.toString());
        assertOneLineError(r, 1, "--admin-password-file", none.toString());
        assertThat(h).doesNotExist();
    }

    @Test
    void unreadablePasswordFile() throws IOException {
        Path h = tmp.resolve("h2");
        Path dirInstead = Files.createDirectory(tmp.resolve("password-dir"));
        Result r = cli("init", "--home", h.toString(), "--role", "master", "--non-interactive",
                "--admin-password-file", dirInstead.toString());
        assertOneLineError(r, 1, "--admin-password-file", dirInstead.toString(), "cannot read");
        assertThat(h).doesNotExist();
    }

    @Test
    void tooShortPassword() throws IOException {
        Path h = tmp.resolve("h3");
        Path pw = Files.writeString(tmp.resolve("short"), "abc\n");
        Result r = cli("init", "--home", h.toString(), "--role", "master", "--non-interactive",
                "--admin-password-file", pw.toString());
        assertThat(r.exit()).as(r.toString()).isIn(1, 2);
        assertOneLineError(r, r.exit(), "too short", "at least 8");
        assertThat(r.err()).doesNotContain("abc");
        assertThat(h).doesNotExist();
    }

    @Test
    void emptyPasswordFile() throws IOException {
        Path h = tmp.resolve("h4");
        Path pw = Files.writeString(tmp.resolve("empty"), "\n");
        assertOneLineError(cli("init", "--home", h.toString(), "--role", "master", "--non-interactive",
                "--admin-password-file", pw.toString()), 2, "empty");
        assertThat(h).doesNotExist();
    }

    // ------------------------------------------------------------------ against the running node

    @Test
    void invalidJsonForConfigPut() {
        assertOneLineError(cli("config", "put", "--home", home, "settings", "motd", "{\"a\":"), 2, "not valid JSON");
        assertOneLineError(cli("config", "put", "--home", home, "settings", "motd", "'single'"), 2, "not valid JSON");
        assertOneLineError(cli("config", "put", "--home", home, "settings", "motd", ""), 2, "not valid JSON");
        assertOneLineError(cli("config", "put", "--home", home, "mappings", "m", "{\"listenPort\":1}"), 1, "backend");
        assertOneLineError(cli("config", "put", "--home", home, "widgets", "x", "1"), 2, "collection: widgets");
        assertOneLineError(cli("config", "put", "--home", home, "settings", "../x", "1"), 1, "id");
    }

    @Test
    void invalidPortsForMappingAdd() {
        for (String port : new String[] {"0", "-1", "65536", "99999999999"}) {
            Result listen = cli("mapping", "add", "--home", home, "--id", "p", "--listen-port", port,
                    "--backend-host", "10.0.0.1", "--backend-port", "80");
            assertThat(listen.exit()).as(listen.toString()).isIn(1, 2);
            assertOneLineError(listen, listen.exit(), "listen");
            Result backend = cli("mapping", "add", "--home", home, "--id", "p", "--listen-port", "18099",
                    "--backend-host", "10.0.0.1", "--backend-port", port);
            assertThat(backend.exit()).as(backend.toString()).isIn(1, 2);
            assertOneLineError(backend, backend.exit(), "backend");
        }
        assertOneLineError(cli("mapping", "add", "--home", home, "--id", "p", "--listen-port", "8o",
                "--backend-host", "10.0.0.1", "--backend-port", "80"), 2, "--listen-port");
    }

    @Test
    void attachWithMalformedMaster() throws IOException {
        Path pw = Files.writeString(tmp.resolve("pw"), TestHomes.PASSWORD + "\n");
        for (String master : new String[] {"nohost", "host:", ":8444", "host:99999", "host:-1", "[::1", "a b:80", "host:80:90"}) {
            assertOneLineError(cli("attach", "--home", home, "--master", master, "--user", "admin",
                    "--password-file", pw.toString()), 2, "--master: " + master, "HOST:HAPORT");
        }
    }
}
