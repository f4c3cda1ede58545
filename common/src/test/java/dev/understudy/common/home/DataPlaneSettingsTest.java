package dev.understudy.common.home;

import dev.understudy.common.config.DataPlaneMode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.ConfigDocument;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.json.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** node.json's dataPlane and dataPlaneBindHost, the replicated settings/dataPlane, and which one a node runs. */
class DataPlaneSettingsTest {

    @Test
    void nodeJsonRoundTripsBothFieldsAndLeavesThemOutWhenUnset() throws Exception {
        NodeSettings d = NodeSettings.defaults("n", Role.MASTER);
        assertThat(d.toJson().has("dataPlane")).isFalse();
        assertThat(d.toJson().has("dataPlaneBindHost")).isFalse();
        assertThat(d.dataPlane()).isNull();
        NodeSettings aa = d.withDataPlane(DataPlaneMode.ACTIVE_ACTIVE, "127.0.0.2");
        assertThat(aa.toJson().get("dataPlane").asText()).isEqualTo("active-active");
        assertThat(NodeSettings.fromJson(Json.tree(Json.toString(aa.toJson())))).isEqualTo(aa);
        assertThat(aa.describe()).containsEntry("dataPlane", "active-active").containsEntry("dataPlaneBindHost", "127.0.0.2");
        assertThat(d.describe().get("dataPlane")).startsWith("unset");
    }

    @Test
    void badValuesSayWhatWasExpected() {
        assertThatThrownBy(() -> NodeSettings.fromJson(NodeSettings.defaults("n", Role.MASTER).toJson().put("dataPlane", "both")))
                .hasMessage("dataPlane: both (expected: active-standby or active-active)");
        assertThatThrownBy(() -> NodeSettings.fromJson(NodeSettings.defaults("n", Role.MASTER).toJson().put("dataPlane", 1)))
                .hasMessage("dataPlane: 1 (expected: a string)");
        assertThatThrownBy(() -> NodeSettings.fromJson(NodeSettings.defaults("n", Role.MASTER).toJson()
                .put("dataPlaneBindHost", " "))).hasMessageStartingWith("dataPlaneBindHost: \" \" (expected: an address of this node");
    }

    @Test
    void nodeJsonOverridesTheReplicatedDefault() {
        assertThat(DataPlaneMode.effective(null, null)).isEqualTo(DataPlaneMode.ACTIVE_STANDBY);
        assertThat(DataPlaneMode.effective(null, TextNode.valueOf("active-active"))).isEqualTo(DataPlaneMode.ACTIVE_ACTIVE);
        assertThat(DataPlaneMode.effective(DataPlaneMode.ACTIVE_STANDBY, TextNode.valueOf("active-active")))
                .isEqualTo(DataPlaneMode.ACTIVE_STANDBY);
        assertThat(DataPlaneMode.effective(DataPlaneMode.ACTIVE_ACTIVE, null)).isEqualTo(DataPlaneMode.ACTIVE_ACTIVE);
        // a value stored before it was checked does not switch a node to active-active
        assertThat(DataPlaneMode.effective(null, TextNode.valueOf("on"))).isEqualTo(DataPlaneMode.ACTIVE_STANDBY);
    }

    @Test
    void theReplicatedSettingIsCheckedAndStoredCanonically() throws Exception {
        ConfigDocument doc = new ConfigDocument();
        ChangeSet ok = doc.validate(new ChangeSet(List.of(
                ChangeOp.put(ConfigCollection.SETTINGS, "dataPlane", TextNode.valueOf(" Active-Active")))));
        assertThat(ok.ops().get(0).value().asText()).isEqualTo("active-active");
        assertThatThrownBy(() -> doc.validate(new ChangeSet(List.of(
                ChangeOp.put(ConfigCollection.SETTINGS, "dataPlane", TextNode.valueOf("both"))))))
                .isInstanceOf(InvalidChangeException.class)
                .hasMessage("ops[0].value: \"both\" (expected: \"active-standby\" or \"active-active\" for settings/dataPlane)");
        assertThatThrownBy(() -> doc.validate(new ChangeSet(List.of(
                ChangeOp.put(ConfigCollection.SETTINGS, "dataPlane", Json.object())))))
                .isInstanceOf(InvalidChangeException.class);
        // other settings stay free-form
        doc.validate(new ChangeSet(List.of(ChangeOp.put(ConfigCollection.SETTINGS, "motd", TextNode.valueOf("both")))));
    }
}
