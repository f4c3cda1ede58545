package dev.understudy.dist;

import static dev.understudy.dist.testing.NodeProcess.cli;
import static dev.understudy.dist.testing.NodeProcess.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.dist.node.RunFile;
import dev.understudy.dist.testing.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import java.util.concurrent.TimeUnit;

/**
 * A real node process is killed with SIGKILL right after acknowledging writes; after a restart,
 * every acknowledged revision and value is there.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NodeRestartIT {

    private static final Pattern COMMITTED = Pattern.compile("committed revision (\\d+) \\(replicated: false\\)");

    private final NodeProcess.Fleet fleet = new NodeProcess.Fleet();

    @AfterEach
    void killAll() throws InterruptedException {
        fleet.close();
    }

    private static long revisionOf(NodeProcess.CliResult r) {
        Matcher m = COMMITTED.matcher(r.out());
        assertThat(m.find()).as("a committed revision in: %s", r).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void acknowledgedWritesSurviveSigkill() throws Exception {
        Path work = NodeProcess.newWorkDir("restart");
        Path password = work.resolve("admin-password");
        Files.writeString(password, "it-admin-password\n");
        String home = work.resolve("master").toString();
        NodeProcess.CliResult init = ok("init", "--home", home, "--role", "master", "--admin-port", "0", "--ha-port", "0",
                "--non-interactive", "--admin-password-file", password.toString(), "--node-id", "it-master");
        assertThat(init.out()).contains("it-master", "SHA256:");

        NodeProcess first = fleet.start(Path.of(home));
        RunFile run = first.awaitReady();
        assertThat(run.adminPort()).isPositive();

        long r1 = revisionOf(ok("mapping", "add", "--home", home, "--id", "web", "--listen-port", "18080",
                "--backend-host", "10.0.0.5", "--backend-port", "80", "--description", "intranet"));
        long r2 = revisionOf(ok("config", "put", "--home", home, "settings", "motd", "\"hello\""));
        long r3 = revisionOf(ok("mapping", "add", "--home", home, "--id", "db", "--listen-port", "15432",
                "--backend-host", "10.0.0.6", "--backend-port", "5432"));
        long last = revisionOf(ok("config", "put", "--home", home, "settings", "limits", "{\"max\":3}"));
        assertThat(new long[] {r1, r2, r3, last}).isSorted();
        assertThat(last).isEqualTo(r1 + 3);
        String hashBefore = ok("status", "--home", home, "--json").json().path("configHash").asText();

        int exit = first.kill();
        assertThat(exit).as("SIGKILL").isEqualTo(137);
        assertThat(RunFile.path(Path.of(home))).as("a killed node leaves its run.json").exists();
        // the stopped node is inspected from its home, marked as such
        NodeProcess.CliResult down = cli("status", "--home", home);
        assertThat(down.exit()).as(down.toString()).isZero();
        assertThat(down.out()).contains("NODE NOT RUNNING", "revision " + last, "understudy run --home " + home);
        assertThat(ok("config", "get", "--home", home, "settings", "motd").json().asText()).isEqualTo("hello");
        NodeProcess.CliResult write = cli("config", "put", "--home", home, "settings", "motd", "\"down\"");
        assertThat(write.exit()).as(write.toString()).isEqualTo(1);
        assertThat(write.err()).startsWith("understudy: no node is running at https://127.0.0.1:")
                .contains("understudy run --home " + home);

        NodeProcess second = fleet.start(Path.of(home));
        second.awaitReady();
        JsonNode status = ok("status", "--home", home, "--json").json();
        assertThat(status.path("revision").asLong()).isEqualTo(last);
        assertThat(status.path("configHash").asText()).isEqualTo(hashBefore);
        assertThat(status.path("role").asText()).isEqualTo("master");
        assertThat(ok("config", "get", "--home", home, "settings", "motd").json().asText()).isEqualTo("hello");
        assertThat(ok("config", "get", "--home", home, "settings", "limits").json().path("max").asInt()).isEqualTo(3);
        JsonNode mappings = ok("mapping", "list", "--home", home, "--json").json();
        assertThat(mappings).hasSize(2);
        assertThat(mappings.findValuesAsText("id")).containsExactlyInAnyOrder("web", "db");
        assertThat(mappings.toString()).contains("\"description\":\"intranet\"");

        // a clean stop: exit 0, run.json removed
        assertThat(second.terminate()).isZero();
        assertThat(RunFile.path(Path.of(home))).doesNotExist();
        assertThat(second.log()).contains("stopped node it-master");
    }
}
