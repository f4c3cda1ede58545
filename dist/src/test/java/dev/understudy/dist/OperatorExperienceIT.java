package dev.understudy.dist;

import static dev.understudy.dist.testing.NodeProcess.cli;
import static dev.understudy.dist.testing.NodeProcess.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.testing.ProcessPauser;
import dev.understudy.dist.testing.NodeProcess;
import dev.understudy.dist.testing.PairedNodes;
import dev.understudy.dist.testing.TestHomes;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an operator sees, driven through the real CLI against real node processes: every state is told
 * truly and every mistake gets a message that says what to do (issue 10).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OperatorExperienceIT {

    private static final Pattern COMMITTED = Pattern.compile("committed revision (\\d+) \\(replicated: (true|false)\\)");
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final NodeProcess.Fleet fleet = new NodeProcess.Fleet();
    private long pausedPid;

    @AfterEach
    void tearDown() throws InterruptedException {
        try {
            if (pausedPid != 0) {
                ProcessPauser.resume(pausedPid);
            }
        } finally {
            fleet.close();
        }
    }

    static long revisionOf(NodeProcess.CliResult r) {
        Matcher m = COMMITTED.matcher(r.out());
        assertThat(m.find()).as("a committed revision in: %s", r).isTrue();
        return Long.parseLong(m.group(1));
    }

    static List<JsonNode> alerts(String home, boolean all) throws Exception {
        JsonNode arr = all ? ok("alerts", "--home", home, "--json", "--all").json() : ok("alerts", "--home", home, "--json").json();
        List<JsonNode> out = new ArrayList<>();
        arr.forEach(out::add);
        return out;
    }

    static List<JsonNode> open(String home, String category, String severity) throws Exception {
        return alerts(home, false).stream().filter(a -> a.path("category").asText().equals(category)
                && a.path("severity").asText().equals(severity) && !a.path("resolved").asBoolean()).toList();
    }

    /** Item 1: a change committed while the shadow is frozen is a failed push, resolved once the shadow acks it. */
    @Test
    void aChangeTheFrozenShadowNeverAcknowledgedRaisesPushFailedUntilItCatchesUp() throws Exception {
        PairedNodes pair = PairedNodes.start(fleet, "ux-push");
        pausedPid = pair.shadow().pid();
        ProcessPauser.pause(pausedPid);
        long rev = revisionOf(ok("config", "put", "--home", pair.masterHome(), "settings", "motd", "\"frozen\""));
        await("the master drops the frozen shadow").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> ok("status", "--home", pair.masterHome(), "--json").json().path("state").asText()
                        .equals("ACTIVE_ALONE"));
        await("a PUSH_FAILED error names the revision").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(open(pair.masterHome(), "PUSH_FAILED", "ERROR")).singleElement()
                        .satisfies(a -> assertThat(a.path("message").asText()).contains("revision " + rev)));
        long alone = revisionOf(ok("config", "put", "--home", pair.masterHome(), "settings", "motd", "\"alone\""));
        assertThat(open(pair.masterHome(), "PUSH_FAILED", "ERROR")).as("still one error, now naming both revisions")
                .singleElement().satisfies(a -> assertThat(a.path("message").asText())
                        .contains("revisions " + rev + ".." + alone).contains("serves alone"));

        ProcessPauser.resume(pausedPid);
        pausedPid = 0;
        await("the shadow catches up and the error turns into a warning").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    assertThat(open(pair.masterHome(), "PUSH_FAILED", "ERROR")).isEmpty();
                    assertThat(open(pair.masterHome(), "PUSH_FAILED", "WARNING")).singleElement()
                            .satisfies(a -> assertThat(a.path("message").asText()).contains("had failed")
                                    .contains("caught up at revision " + alone));
                });
    }

    /** Item 5: peer lines come only from a live session; "identical" only when the peer just confirmed it. */
    @Test
    void statusTellsOnlyWhatALiveSessionConfirms() throws Exception {
        PairedNodes pair = PairedNodes.start(fleet, "ux-status");
        await("the pair reports identical copies").atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(ok("status", "--home", pair.masterHome()).out()).contains("identical on master and shadow")
                        .contains("state STANDBY"));
        // item 6: a write refused on the shadow points to the master's admin URL, not its HA address
        NodeProcess.CliResult refused = cli("config", "put", "--home", pair.shadowHome(), "settings", "motd", "\"x\"");
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err()).contains("this node is the shadow",
                "its admin URL is https://127.0.0.1:" + pair.masterRun().adminPort() + "/");
        // item 13: the shadow's session as an HA screen shows it
        JsonNode live = ok("status", "--home", pair.masterHome(), "--json").json().path("peer");
        assertThat(live.path("connectedSince").asText()).as("%s", live).startsWith("20");
        assertThat(live.path("seenFromHost").asText()).isEqualTo("127.0.0.1");
        ok("config", "put", "--home", pair.masterHome(), "settings", "motd", "\"pushed\"");
        await("the push is acknowledged").atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() ->
                ok("status", "--home", pair.masterHome(), "--json").json().path("peer").hasNonNull("lastSuccessfulPush"));
        assertThat(ok("status", "--home", pair.masterHome()).out()).contains("connected since 20", "from 127.0.0.1",
                "last successful push 20");
        pair.shadow().kill();
        await("the master notices the shadow is gone").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> ok("status", "--home", pair.masterHome(), "--json").json().path("state").asText()
                        .equals("ACTIVE_ALONE"));
        String alone = ok("status", "--home", pair.masterHome()).out();
        assertThat(alone).as(alone).doesNotContain("STANDBY").doesNotContain("identical on master and shadow")
                .contains("ux-status-shadow").contains("not connected").contains("no peer connected");
        JsonNode peer = ok("status", "--home", pair.masterHome(), "--json").json().path("peer");
        assertThat(peer.path("connected").asBoolean()).isFalse();
        assertThat(peer.path("state").isNull()).as("peer.state of an ended session: %s", peer).isTrue();

        ok("reset", "--home", pair.masterHome());
        String reset = ok("status", "--home", pair.masterHome()).out();
        assertThat(reset).as(reset).contains("peer       none").doesNotContain("STANDBY").doesNotContain("ux-status-shadow")
                .doesNotContain("identical on master and shadow");
    }

    /** A master alone, initialised with the CLI; {@code haPort} 0 lets the OS choose. */
    private static Path initMaster(String name, int haPort) throws Exception {
        Path work = NodeProcess.newWorkDir(name);
        Path password = work.resolve("admin-password");
        Files.writeString(password, PairedNodes.ADMIN_PASSWORD + "\n");
        Path home = work.resolve("master");
        ok("init", "--home", home.toString(), "--role", "master", "--admin-port", "0", "--ha-port", Integer.toString(haPort),
                "--non-interactive", "--admin-password-file", password.toString(), "--node-id", name);
        return home;
    }

    /** Items 2 and 4: a mapping whose port is held elsewhere is an alert, a state and a failing `mapping add`. */
    @Test
    void aMappingThatCannotBeBoundIsAnAlertAStateAndAFailedAdd() throws Exception {
        Path home = initMaster("ux-bind", 0);
        fleet.start(home).awaitReady();
        String h = home.toString();
        int port;
        NodeProcess.CliResult add;
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = busy.getLocalPort();
            add = cli("mapping", "add", "--home", h, "--id", "web", "--listen-host", "127.0.0.1", "--listen-port",
                    Integer.toString(port), "--backend-host", "127.0.0.1", "--backend-port", "9");
            assertThat(add.exit()).as(add.toString()).isEqualTo(1);
            assertThat(add.out()).contains("committed revision");
            assertThat(add.err()).contains("warning", "mapping web listenPort: cannot listen on 127.0.0.1:" + port,
                    "stop what holds the port");
            assertThat(open(h, "MAPPING_BIND_FAILED", "ERROR")).singleElement()
                    .satisfies(a -> assertThat(a.path("message").asText()).contains("127.0.0.1:" + port));
            assertThat(ok("mapping", "list", "--home", h).out()).contains("STATE", "bind failed");
            assertThat(ok("mapping", "list", "--home", h, "--json").json().get(0).path("state").asText())
                    .isEqualTo("bind failed");
            assertThat(ok("status", "--home", h).out()).contains("1 active");
        }
        // the port is free again: the next configuration change binds it and the alert resolves
        ok("config", "put", "--home", h, "settings", "motd", "\"retry\"");
        await("the mapping binds once its port is free").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    assertThat(open(h, "MAPPING_BIND_FAILED", "ERROR")).isEmpty();
                    assertThat(ok("mapping", "list", "--home", h).out()).contains("bound").doesNotContain("bind failed");
                });
    }

    /** Item 4: an HA port in use names the setting, the address and the fix, not a bare BindException. */
    @Test
    void aBusyHaPortNamesTheSettingTheAddressAndTheFix() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path home = initMaster("ux-haport", busy.getLocalPort());
            NodeProcess.CliResult run = cli("run", "--home", home.toString());
            assertThat(run.exit()).as(run.toString()).isEqualTo(1);
            String all = run.out() + run.err();
            assertThat(all).contains("haPort: cannot listen on ", ":" + busy.getLocalPort() + ": ",
                    "change haPort in " + home.resolve("node.json"));
            assertThat(run.err().strip().lines().reduce((a, b) -> b).orElse(""))
                    .as("the last line the operator sees").startsWith("understudy: haPort: cannot listen on");
        }
    }

    /** Item 6: attaching to the master's admin (HTTPS) port fails at once and names the HA port. */
    @Test
    void attachingToTheAdminPortSaysSoAtOnceAndNamesTheHaPort() throws Exception {
        Path masterHome = initMaster("ux-wrongport", 0);
        NodeProcess master = fleet.start(masterHome);
        var run = master.awaitReady();
        Path work = masterHome.getParent();
        Path shadowHome = work.resolve("shadow");
        ok("init", "--home", shadowHome.toString(), "--role", "shadow", "--admin-port", "0", "--ha-port", "0",
                "--non-interactive", "--admin-password-file", work.resolve("admin-password").toString(),
                "--node-id", "ux-wrongport-shadow");
        fleet.start(shadowHome).awaitReady();
        long t0 = System.nanoTime();
        NodeProcess.CliResult attach = cli("attach", "--home", shadowHome.toString(), "--master",
                "127.0.0.1:" + run.adminPort(), "--user", PairedNodes.ADMIN_USER, "--password-file",
                work.resolve("admin-password").toString(), "--master-fingerprint", TestHomes.fingerprint(masterHome));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(attach.exit()).as(attach.toString()).isEqualTo(1);
        // item 8: said before anything is sent
        assertThat(attach.out()).contains("its admin users and passwords are replaced by the master's");
        int haPort = ok("status", "--home", masterHome.toString(), "--json").json().path("haPort").asInt();
        assertThat(attach.err()).contains("this looks like an admin port", "the HA port is 127.0.0.1:" + haPort);
        assertThat(ms).as("told within seconds, not after the 15 s HELLO timeout").isLessThan(10_000);
    }
}
