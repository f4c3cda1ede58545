package dev.understudy.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.json.Json;
import dev.understudy.common.store.Revision;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChangeOpJsonTest {

    @Test
    void revisionWithPutAndDeleteRoundTripsThroughStrictJson() throws Exception {
        Revision r = new Revision(7, "ab", List.of(
                ChangeOp.put(ConfigCollection.SETTINGS, "motd", Json.mapper().getNodeFactory().textNode("hi")),
                ChangeOp.delete(ConfigCollection.MAPPINGS, "old")));
        byte[] bytes = Json.toBytes(r);
        assertThat(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("\"put\":");
        assertThat(Json.read(bytes, Revision.class)).isEqualTo(r);
    }
}
