package dev.understudy.dist;

import static dev.understudy.dist.testing.NodeProcess.cli;
import static dev.understudy.dist.testing.NodeProcess.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.json.Json;
import dev.understudy.common.config.ConfigHash;
import dev.understudy.dist.testing.NodeProcess;
import dev.understudy.dist.testing.PairedNodes;
import dev.understudy.dist.testing.RogueHaClient;
import dev.understudy.dist.testing.TestHomes;
import dev.understudy.ha.handshake.Versions;
import dev.understudy.ha.message.Bye;
import dev.understudy.ha.message.Demote;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Heartbeat;
import dev.understudy.ha.message.Hello;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #9, admission before meaning: a stranger with a self-made certificate on the HA port of an
 * unpaired master (fresh, detached, or pairing restricted to another host) cannot make it step down,
 * move its epoch, or learn anything but a BYE — and the master still serves in its epoch after a restart.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class HaAdmissionIT {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String NO_HASH = ConfigHash.EMPTY;

    private final NodeProcess.Fleet fleet = new NodeProcess.Fleet();

    @AfterEach
    void killAll() throws InterruptedException {
        fleet.close();
    }

    private static Hello masterHello(String state, long epoch) {
        return new Hello("rogue", "master", state, epoch, 0, NO_HASH, Versions.SOFTWARE, Versions.PROTOCOL, null, null, null);
    }

    /** Every attack of the issue, each on its own connection; each must get nothing but one BYE. */
    private static void attack(int haPort) throws Exception {
        HaMessage[][] attacks = {
                {masterHello("ACTIVE_ALONE", 2)},
                {masterHello("ACTIVE_ALONE", Long.MAX_VALUE)},
                {masterHello("STANDBY", 1), new Demote(9, "step down")},
                {new Demote(Long.MAX_VALUE, "step down")},
                {new Heartbeat(5, 0, NO_HASH, 1, "master", "ACTIVE_ALONE")},
                {new Hello("rogue", "shadow", "STANDBY", 7, 0, NO_HASH, Versions.SOFTWARE, Versions.PROTOCOL, null,
                        null, null)},
        };
        for (HaMessage[] a : attacks) {
            RogueHaClient.Outcome o = RogueHaClient.send("127.0.0.1", haPort, WAIT, a);
            assertThat(o.tlsCompleted()).as("TLS with a self-made certificate (pairing mode)").isTrue();
            assertThat(o.closedByServer()).as("the master closes the connection").isTrue();
            assertThat(o.received()).as("an unauthenticated peer is told nothing but a BYE").hasSize(1);
            assertThat(o.received().get(0)).isInstanceOfSatisfying(Bye.class, b -> {
                assertThat(b.code()).isEqualTo("NOT_PAIRED");
                assertThat(b.epoch()).as("not even the epoch").isZero();
            });
        }
    }

    private static void assertStillMaster(NodeProcess node, long epoch) throws Exception {
        JsonNode s = node.status();
        assertThat(s.path("role").asText()).as(s.toString()).isEqualTo("master");
        assertThat(s.path("state").asText()).isEqualTo("ACTIVE_ALONE");
        assertThat(s.path("epoch").asLong()).isEqualTo(epoch);
        JsonNode state = Json.tree(Files.readString(node.home().resolve("state.json"), StandardCharsets.UTF_8));
        assertThat(state.path("epoch").asLong()).as("state.json").isEqualTo(epoch);
        assertThat(state.path("role").asText()).isEqualTo("master");
        assertThat(node.healthz()).as("/healthz").isEqualTo(200);
        NodeProcess.CliResult put = ok("config", "put", "--home", node.home().toString(), "settings", "probe", "\"x\"");
        assertThat(put.out()).contains("committed revision");
        assertThat(node.log()).doesNotContain("ROLE CHANGE").doesNotContain("-> CONNECTING");
    }

    private void restartAndCheck(NodeProcess node, long epoch) throws Exception {
        node.terminate();
        NodeProcess again = fleet.start(node.home());
        again.awaitReady();
        assertStillMaster(again, epoch);
    }

    @Test
    void freshUnpairedMasterIgnoresRogueMastersAndDemotes() throws Exception {
        Path work = NodeProcess.newWorkDir("admission-fresh");
        Path home = TestHomes.initProcessHome(work.resolve("master"), "adm-master", "master", work.resolve("pw"));
        TestHomes.editNodeJson(home, Map.of("requestTimeout", "10s"));
        NodeProcess master = fleet.start(home);
        master.awaitReady();
        long epoch = master.status().path("epoch").asLong();

        attack(master.haPort());
        unauthenticatedConnectionsAreCapped(master.haPort());
        // a stranger may not make the master buffer big frames: 64 KiB until authenticated (16 MiB after)
        RogueHaClient.Outcome big = RogueHaClient.send("127.0.0.1", master.haPort(), WAIT, new Hello("rogue", "shadow",
                "DETACHED", 0, 0, NO_HASH, Versions.SOFTWARE, Versions.PROTOCOL, null, "admin", "x".repeat(100_000)));
        assertThat(big.closedByServer()).isTrue();
        assertThat(big.received()).noneMatch(m -> m instanceof Hello);
        assertThat(master.log()).contains("(expected: <= 65536)");

        assertStillMaster(master, epoch);
        restartAndCheck(master, epoch);
    }

    /**
     * Connections that never start TLS hold a slot until the handshake timeout (requestTimeout, 10 s in this
     * test); one source gets 8 at once, and the slots come back when the connections close.
     */
    private static void unauthenticatedConnectionsAreCapped(int haPort) throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 9; i++) {
                Socket s = new Socket("127.0.0.1", haPort);
                s.setSoTimeout(200);
                held.add(s);
            }
            int closed = 0;
            for (Socket s : held) {
                closed += readsEof(s) ? 1 : 0;
            }
            assertThat(closed).as("of 9 unauthenticated connections from one source, exactly the one over the cap is"
                    + " closed at once").isEqualTo(1);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        await().atMost(WAIT).untilAsserted(() -> {
            List<Socket> again = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    Socket s = new Socket("127.0.0.1", haPort);
                    s.setSoTimeout(200);
                    again.add(s);
                }
                for (Socket s : again) {
                    assertThat(readsEof(s)).as("slots given back").isFalse();
                }
            } finally {
                for (Socket s : again) {
                    s.close();
                }
            }
        });
    }

    private static boolean readsEof(Socket s) throws Exception {
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    @Test
    void detachedMasterIgnoresRogueMastersAndDemotes() throws Exception {
        PairedNodes pair = PairedNodes.start(fleet, "admission-detached", Map.of());
        ok("detach", "--home", pair.shadowHome());
        // the master notices the shadow left; then it detaches too and is unpaired again
        ok("detach", "--home", pair.masterHome());
        long epoch = pair.master().status().path("epoch").asLong();
        pair.shadow().terminate(); // only the attacker talks to the master now

        attack(pair.master().haPort());

        assertStillMaster(pair.master(), epoch);
        restartAndCheck(pair.master(), epoch);
    }

    @Test
    void pairingFromAnotherHostIsClosedBeforeHello() throws Exception {
        Path work = NodeProcess.newWorkDir("admission-host");
        Path home = TestHomes.initProcessHome(work.resolve("master"), "adm-host", "master", work.resolve("pw"));
        TestHomes.editNodeJson(home, Map.of("permittedShadowHost", "127.0.0.9"));
        NodeProcess master = fleet.start(home);
        master.awaitReady();
        long epoch = master.status().path("epoch").asLong();

        RogueHaClient.Outcome o = RogueHaClient.send("127.0.0.1", master.haPort(), WAIT,
                masterHello("ACTIVE_ALONE", 2), new Demote(9, "step down"));
        assertThat(o.tlsCompleted()).as("closed before the TLS handshake, so before any HELLO").isFalse();
        assertThat(o.received()).isEmpty();
        assertThat(master.log()).contains("permits pairing only from 127.0.0.9");

        assertStillMaster(master, epoch);
        restartAndCheck(master, epoch);
    }

    @Test
    void stateJsonWithAnOutOfRangeEpochStopsStartWithTheFix() throws Exception {
        Path work = NodeProcess.newWorkDir("admission-epoch");
        Path home = TestHomes.initProcessHome(work.resolve("master"), "adm-epoch", "master", work.resolve("pw"));
        Files.writeString(home.resolve("state.json"),
                "{\"epoch\":9223372036854775807,\"role\":\"master\",\"lastAckedRevision\":0}", StandardCharsets.UTF_8);
        NodeProcess.CliResult run = cli("run", "--home", home.toString());
        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains(home.resolve("state.json").toString())
                .contains("epoch: 9223372036854775807 (expected: 0..")
                .contains("the peer's epoch");
    }
}
