package dev.understudy.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A store of 100,000 mappings must load: reading a snapshot validates it as one big change set, which
 * was quadratic in the number of mappings (minutes to hours). The timeout is a guard against that, not
 * a performance target: linear work takes a second or two.
 */
class LargeDocumentTest {

    private static ObjectNode mapping(int i) {
        return Json.object().put("listenHost", "10.0.0." + (1 + i / 50_000)).put("listenPort", 10_000 + i % 50_000)
                .put("backendHost", "b" + i + ".internal").put("backendPort", 80);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void hundredThousandMappingsReadBackAsOneDocument() throws Exception {
        ConfigDocument d = new ConfigDocument();
        for (int i = 0; i < 100_000; i++) {
            d.put(ConfigCollection.MAPPINGS, "m" + i, mapping(i));
        }
        ConfigDocument back = ConfigDocument.fromJson(d.toJson());
        assertThat(back.hash()).isEqualTo(d.hash());
        assertThat(back.mappings()).hasSize(100_000);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void largeChangeSetStillFindsAConflictAtItsEnd() {
        List<ChangeOp> ops = new ArrayList<>();
        for (int i = 0; i < ChangeValidator.MAX_OPS - 1; i++) {
            ops.add(ChangeOp.put(ConfigCollection.MAPPINGS, "m" + i, mapping(i)));
        }
        ops.add(ChangeOp.put(ConfigCollection.MAPPINGS, "late", Json.object().put("listenPort", 10_005)
                .put("backendHost", "x.internal").put("backendPort", 1)));
        assertThatThrownBy(() -> new ConfigDocument().validate(new ChangeSet(ops)))
                .isInstanceOf(InvalidChangeException.class)
                .hasMessage("ops[9999].value.listenPort: 10005 (expected: a port not already used on 0.0.0.0 by mapping 'm5')");
    }
}
