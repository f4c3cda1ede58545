package dev.understudy.common.home;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class NodeSettingsTest {

    private static ObjectNode valid() {
        return NodeSettings.defaults("node-a", Role.MASTER).toJson();
    }

    private static void rejects(ObjectNode n, String message) {
        assertThatThrownBy(() -> NodeSettings.fromJson(n)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void roundTrip() throws Exception {
        NodeSettings s = NodeSettings.defaults("node-a", Role.SHADOW).withPorts(1, 2).withHosts("127.0.0.1", "::1")
                .withPeer("[fd00::1]:8444", "node-b").withPermittedShadowHost("10.0.0.2")
                .withTimings(Duration.ofMillis(150), Duration.ofMillis(1500), Duration.ofMillis(700), Duration.ofSeconds(3));
        assertThat(NodeSettings.fromJson(Json.tree(Json.toString(s.toJson())))).isEqualTo(s);
        NodeSettings d = NodeSettings.defaults("node-a", Role.MASTER);
        assertThat(NodeSettings.fromJson(d.toJson())).isEqualTo(d);
        assertThat(d.toJson().get("heartbeatInterval").asText()).isEqualTo("200ms");
        assertThat(d.toJson().get("takeoverDelay").asText()).isEqualTo("2s");
    }

    @Test
    void subMillisecondDurationsSurviveTheRoundTrip() {
        NodeSettings s = NodeSettings.defaults("n", Role.MASTER)
                .withTimings(Duration.ofNanos(500_000), Duration.ofMillis(2), Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertThat(NodeSettings.fromJson(s.toJson())).isEqualTo(s);
    }

    @Test
    void missingOptionalFieldsTakeDefaults() throws Exception {
        NodeSettings s = NodeSettings.fromJson(Json.tree("{\"nodeId\":\"n1\",\"role\":\"shadow\"}"));
        assertThat(s).isEqualTo(NodeSettings.defaults("n1", Role.SHADOW));
        assertThat(s.describe()).containsEntry("takeoverDelay", "2s (default)").containsEntry("peer", "none (detached)");
    }

    @Test
    void unknownFieldIsRejectedByName() {
        rejects(valid().put("heartbeatIntervall", "200ms"), "heartbeatIntervall: unknown field (expected: one of [adminHost, "
                + "adminPort, connectTimeout, coordination, dataPlane, dataPlaneBindHost, haHost, haPort, heartbeatInterval, logLevel, nodeId, peerAddress, peerNodeId, "
                + "permittedShadowHost, requestTimeout, role, takeoverDelay])");
    }

    @Test
    void everyBadFieldSaysWhatWasExpected() {
        rejects(valid().put("heartbeatInterval", "0ms"), "heartbeatInterval: 0ms (expected: > 0)");
        rejects(valid().put("connectTimeout", "-1s"), "connectTimeout: -1s (expected: a duration such as 200ms, 2s or PT2S)");
        rejects(valid().put("requestTimeout", "PT-1S"), "requestTimeout: -1s (expected: > 0)");
        rejects(valid().put("takeoverDelay", "2 sec"), "takeoverDelay: 2 sec (expected: a duration such as 200ms, 2s or PT2S)");
        rejects(valid().put("takeoverDelay", 2000), "takeoverDelay: 2000 (expected: a duration string such as \"200ms\")");
        rejects(valid().put("takeoverDelay", "500ms"),
                "takeoverDelay: 500ms (expected: at least 3 x heartbeatInterval = 600ms, so a late heartbeat is not a failure)");
        rejects(valid().put("heartbeatInterval", "1s"),
                "takeoverDelay: 2s (expected: at least 3 x heartbeatInterval = 3s, so a late heartbeat is not a failure)");
        rejects(valid().put("adminPort", 70000), "adminPort: 70000 (expected: 0..65535)");
        rejects(valid().put("haPort", -1), "haPort: -1 (expected: 0..65535)");
        rejects(valid().put("adminPort", "8443"), "adminPort: \"8443\" (expected: an integer)");
        rejects(valid().put("adminPort", 1L << 40 | 443), "adminPort: " + (1L << 40 | 443) + " (expected: an integer)");
        rejects(valid().put("adminPort", 443.5), "adminPort: 443.5 (expected: an integer)");
        rejects(valid().put("role", "primary"), "role: primary (expected: master or shadow)");
        rejects(valid().put("nodeId", "a b"), "nodeId: a b (expected: 1-64 characters of A-Z a-z 0-9 . _ -)");
        rejects((ObjectNode) valid().without("nodeId"), "nodeId: null (expected: 1-64 characters of A-Z a-z 0-9 . _ -)");
        rejects(valid().put("peerAddress", "host"), "peerAddress: host (expected: host:port)");
        assertThatThrownBy(() -> NodeSettings.fromJson(valid().put("logLevel", "LOUD")))
                .hasMessageStartingWith("logLevel: LOUD (expected: one of [").hasMessageContaining("WARN");
    }

    @Test
    void notAnObject() throws Exception {
        rejects(null, "expected a JSON object");
        assertThatThrownBy(() -> NodeSettings.fromJson(Json.tree("[1]"))).hasMessage("expected a JSON object");
    }
}
