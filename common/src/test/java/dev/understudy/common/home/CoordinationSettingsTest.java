package dev.understudy.common.home;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code coordination} setting of node.json and the timing rule that makes the failsafe safe. */
class CoordinationSettingsTest {

    /** A node.json whose takeoverDelay satisfies the rule for a 2 s session (2 s + 3 x 200 ms = 2.6 s). */
    private static ObjectNode node(String coordination) throws Exception {
        ObjectNode n = NodeSettings.defaults("node-a", Role.MASTER).toJson();
        n.put("takeoverDelay", "3s");
        n.set("coordination", Json.tree(coordination));
        return n;
    }

    private static void rejects(String coordination, String messageStart) {
        assertThatThrownBy(() -> NodeSettings.fromJson(node(coordination)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(messageStart);
    }

    @Test
    void absentMeansAPairAndTheJsonStaysAsBefore() {
        NodeSettings d = NodeSettings.defaults("node-a", Role.MASTER);
        assertThat(d.coordination()).isNull();
        assertThat(d.toJson().has("coordination")).as("a pair's node.json has no coordination field").isFalse();
        assertThat(d.describe()).containsEntry("coordination", "none (a pair)");
        ObjectNode n = d.toJson();
        n.putNull("coordination");
        assertThat(NodeSettings.fromJson(n)).isEqualTo(d);
    }

    @Test
    void readsAndRoundTrips() throws Exception {
        NodeSettings s = NodeSettings.fromJson(node(
                "{\"zookeeper\": \"zk1:2181, zk2:2181,[fd00::3]:2181\", \"path\": \"/understudy/prod\", \"sessionTimeout\": \"1500ms\"}"));
        assertThat(s.coordination()).isEqualTo(
                new Coordination("zk1:2181, zk2:2181,[fd00::3]:2181", "/understudy/prod", Duration.ofMillis(1500)));
        assertThat(NodeSettings.fromJson(Json.tree(Json.toString(s.toJson())))).isEqualTo(s);
        assertThat(s.describe().get("coordination")).isEqualTo("zk1:2181, zk2:2181,[fd00::3]:2181 /understudy/prod sessionTimeout 1500ms");
    }

    @Test
    void sessionTimeoutDefaultsToTwoSeconds() throws Exception {
        NodeSettings s = NodeSettings.fromJson(node("{\"zookeeper\": \"zk1:2181\", \"path\": \"/understudy/g\"}"));
        assertThat(s.coordination().sessionTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.describe().get("coordination")).endsWith("sessionTimeout 2s (default)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"path\": \"/u/g\"}|coordination.zookeeper: missing",
        "{\"zookeeper\": \"\", \"path\": \"/u/g\"}|coordination.zookeeper: missing",
        "{\"zookeeper\": \"zk1\", \"path\": \"/u/g\"}|coordination.zookeeper: zk1 (expected: host:port[,host:port...]",
        "{\"zookeeper\": \"zk1:2181,\", \"path\": \"/u/g\"}|coordination.zookeeper: zk1:2181, (expected",
        "{\"zookeeper\": \"zk1:2181/chroot\", \"path\": \"/u/g\"}|coordination.zookeeper: zk1:2181/chroot (expected: host:port[,host:port...], no chroot",
        "{\"zookeeper\": \"zk1:99999\", \"path\": \"/u/g\"}|coordination.zookeeper: zk1:99999 (expected",
        "{\"zookeeper\": 2181, \"path\": \"/u/g\"}|coordination.zookeeper: 2181 (expected: a string)",
        "{\"zookeeper\": \"zk1:2181\"}|coordination.path: missing",
        "{\"zookeeper\": \"zk1:2181\", \"path\": \"understudy/g\"}|coordination.path: understudy/g (expected: an absolute znode path",
        "{\"zookeeper\": \"zk1:2181\", \"path\": \"/\"}|coordination.path: / (expected",
        "{\"zookeeper\": \"zk1:2181\", \"path\": \"/u/g/\"}|coordination.path: /u/g/ (expected",
        "{\"zookeeper\": \"zk1:2181\", \"path\": \"/u//g\"}|coordination.path: /u//g (expected",
        "{\"zookeeper\": \"zk1:2181\", \"path\": \"/u/../g\"}|coordination.path: /u/../g (expected",
        "{\"zookeeper\": \"zk1:2181\", \"path\": \"/zookeeper/g\"}|coordination.path: /zookeeper/g (expected",
        "{\"zookeeper\": \"zk1:2181\", \"path\": \"/u g\"}|coordination.path: /u g (expected",
        "{\"zookeeper\": \"zk1:2181\", \"path\": \"/u/g\", \"sessionTimeout\": \"soon\"}|coordination.sessionTimeout: soon (expected: a duration",
        "{\"zookeeper\": \"zk1:2181\", \"path\": \"/u/g\", \"sessionTimeout\": 2}|coordination.sessionTimeout: 2 (expected: a duration string",
        "{\"zookeeper\": \"zk1:2181\", \"path\": \"/u/g\", \"sessionTimeout\": \"0s\"}|coordination.sessionTimeout: 0ms (expected: > 0)",
        "{\"zookeeper\": \"zk1:2181\", \"path\": \"/u/g\", \"ttl\": \"1s\"}|coordination.ttl: unknown field (expected: one of [path, sessionTimeout, zookeeper])",
        "\"zk1:2181\"|coordination: \"zk1:2181\" (expected: {\"zookeeper\"",
    })
    void eachFieldIsCheckedWithAClearMessage(String coordination, String message) {
        rejects(coordination, message);
    }

    @Test
    void takeoverDelayMustOutlastSessionTimeoutPlusTheConfirmationWindow() throws Exception {
        ObjectNode n = node("{\"zookeeper\": \"zk1:2181\", \"path\": \"/u/g\", \"sessionTimeout\": \"2s\"}");
        n.put("takeoverDelay", "2s"); // the pair's default is not enough with a 2 s session
        assertThatThrownBy(() -> NodeSettings.fromJson(n)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("takeoverDelay: 2s (expected with coordination: > coordination.sessionTimeout + 3 x"
                        + " heartbeatInterval = 2s + 600ms = 2600ms, so a master cut off from ZooKeeper and its members"
                        + " stops taking writes before a shadow can take over; raise takeoverDelay or lower"
                        + " coordination.sessionTimeout)");
        n.put("takeoverDelay", "2600ms"); // equal is not enough: the master must have stopped before
        assertThatThrownBy(() -> NodeSettings.fromJson(n)).hasMessageStartingWith("takeoverDelay: 2600ms (expected with coordination");
        n.put("takeoverDelay", "2601ms");
        assertThat(NodeSettings.fromJson(n).takeoverDelay()).isEqualTo(Duration.ofMillis(2601));
        n.put("heartbeatInterval", "300ms"); // the window grows with the heartbeat: 2 s + 900 ms
        assertThatThrownBy(() -> NodeSettings.fromJson(n)).hasMessageContaining("= 2s + 900ms = 2900ms");
    }

    @Test
    void theRuleAlsoHoldsForSettingsBuiltInCode() {
        NodeSettings pair = NodeSettings.defaults("n", Role.SHADOW);
        Coordination c = new Coordination("zk1:2181", "/u/g", Duration.ofSeconds(1));
        Coordination slow = new Coordination("zk1:2181", "/u/g", Duration.ofSeconds(2));
        assertThat(pair.withCoordination(c).coordination()).as("1s + 600ms < 2s").isEqualTo(c);
        assertThatThrownBy(() -> pair.withCoordination(slow)).hasMessageStartingWith("takeoverDelay: 2s (expected with coordination: > ");
        NodeSettings group = pair.withTimings(Duration.ofMillis(200), Duration.ofMillis(1500),
                Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertThatThrownBy(() -> group.withCoordination(c)).hasMessageStartingWith("takeoverDelay: 1500ms (expected with coordination: > ");
        assertThat(Coordination.confirmationWindow(Duration.ofMillis(200))).isEqualTo(Duration.ofMillis(600));
    }
}
