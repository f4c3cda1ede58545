package dev.understudy.dist;

import static dev.understudy.dist.testing.NodeProcess.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.dist.testing.AdminProbe;
import dev.understudy.dist.testing.EchoServer;
import dev.understudy.dist.testing.NodeProcess;
import dev.understudy.dist.testing.PairedNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two real nodes in active-active on one machine, the master's data plane on 127.0.0.2 and the shadow's on
 * 127.0.0.3 (dataPlaneBindHost), one replicated mapping: both forward, both answer /healthz 200 and only the
 * master /healthz?role=master; a client spreading connections over both addresses keeps being served by the
 * shadow while the master is killed with SIGKILL, and the shadow promotes. Prints the failure counts.
 */
class ActiveActiveIT {

    private static final int ROUNDS = 600;
    private static final int KILL_AT = 200;
    private static final int TIMEOUT_MS = 2000;
    private static final String MASTER_HOST = "127.0.0.2";
    private static final String SHADOW_HOST = "127.0.0.3";

    private final NodeProcess.Fleet fleet = new NodeProcess.Fleet();
    private EchoServer backend;

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (backend != null) {
                backend.close();
            }
        } finally {
            fleet.close();
        }
    }

    @Test
    void bothNodesServeAndTheShadowKeepsServingThroughAKillOfTheMaster() throws Exception {
        PairedNodes pair = PairedNodes.start(fleet, "aa",
                Map.of("dataPlane", "active-active", "dataPlaneBindHost", MASTER_HOST),
                Map.of("dataPlane", "active-active", "dataPlaneBindHost", SHADOW_HOST));
        backend = EchoServer.start();
        int port = EchoServer.freePort();
        ok("mapping", "add", "--home", pair.masterHome(), "--id", "db", "--listen-port", Integer.toString(port),
                "--backend-host", "127.0.0.1", "--backend-port", Integer.toString(backend.port()));
        for (String host : new String[] {MASTER_HOST, SHADOW_HOST}) {
            await("the node on " + host + " forwards").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> EchoServer.roundTrip(host, port, "hello", TIMEOUT_MS));
        }
        Path masterHome = Path.of(pair.masterHome());
        Path shadowHome = Path.of(pair.shadowHome());
        int masterAdmin = pair.masterRun().adminPort();
        int shadowAdmin = pair.shadowRun().adminPort();
        assertThat(AdminProbe.healthz(masterAdmin, masterHome)).as("master /healthz").isEqualTo(200);
        assertThat(AdminProbe.healthz(shadowAdmin, shadowHome)).as("shadow /healthz").isEqualTo(200);
        assertThat(AdminProbe.healthzMaster(masterAdmin, masterHome)).as("master /healthz?role=master").isEqualTo(200);
        assertThat(AdminProbe.healthzMaster(shadowAdmin, shadowHome)).as("shadow /healthz?role=master").isEqualTo(503);
        JsonNode shadowStatus = AdminProbe.status(shadowAdmin, shadowHome);
        assertThat(shadowStatus.path("dataPlane").path("mode").asText()).isEqualTo("active-active");
        assertThat(shadowStatus.path("dataPlane").path("serving").asBoolean()).as("shadow status %s", shadowStatus).isTrue();

        // alternate connections over both nodes, as a roundrobin balancer without stickiness does
        int[] ok = new int[2];
        int[] failedAfterKill = new int[2];
        int[] failedBeforeKill = new int[2];
        for (int i = 0; i < ROUNDS; i++) {
            if (i == KILL_AT) {
                assertThat(pair.master().kill()).as("SIGKILL of the master").isEqualTo(137);
            }
            int node = i % 2;
            boolean served = EchoServer.roundTrip(node == 0 ? MASTER_HOST : SHADOW_HOST, port, "c" + i, TIMEOUT_MS);
            if (served) {
                ok[node]++;
            } else if (i < KILL_AT) {
                failedBeforeKill[node]++;
            } else {
                failedAfterKill[node]++;
            }
        }
        System.out.printf("active-active kill -9: %d connections alternating over %s and %s, master killed before"
                + " connection %d; served master=%d shadow=%d; failed before the kill master=%d shadow=%d; failed after"
                + " the kill master=%d (its address is gone) shadow=%d%n", ROUNDS, MASTER_HOST, SHADOW_HOST, KILL_AT,
                ok[0], ok[1], failedBeforeKill[0], failedBeforeKill[1], failedAfterKill[0], failedAfterKill[1]);
        assertThat(failedBeforeKill).as("failures before the kill").containsExactly(0, 0);
        assertThat(ok[0]).as("connections the master served").isEqualTo(KILL_AT / 2);
        assertThat(failedAfterKill[1]).as("connections to the shadow that failed through the master's kill").isZero();
        assertThat(ok[1]).as("connections the shadow served").isEqualTo(ROUNDS / 2);

        await("the shadow promotes").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> AdminProbe.status(shadowAdmin, shadowHome).path("role").asText().equals("master"));
        assertThat(AdminProbe.healthzMaster(shadowAdmin, shadowHome)).as("promoted shadow /healthz?role=master")
                .isEqualTo(200);
        assertThat(EchoServer.roundTrip(SHADOW_HOST, port, "after", TIMEOUT_MS)).as("forwarding after the promotion").isTrue();

        // the old master restarts, rejoins as shadow, and serves again once in sync
        NodeProcess restarted = fleet.start(masterHome);
        int rejoinedAdmin = restarted.awaitReady().adminPort();
        await("the old master rejoins as shadow and forwards on " + MASTER_HOST).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> AdminProbe.status(rejoinedAdmin, masterHome).path("role").asText().equals("shadow")
                        && EchoServer.roundTrip(MASTER_HOST, port, "rejoined", TIMEOUT_MS));
        assertThat(AdminProbe.healthz(rejoinedAdmin, masterHome)).as("rejoined shadow /healthz").isEqualTo(200);
        assertThat(AdminProbe.healthzMaster(rejoinedAdmin, masterHome)).as("rejoined shadow /healthz?role=master")
                .isEqualTo(503);
    }
}
