package dev.understudy.ha.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.Revision;
import dev.understudy.ha.message.Ack;
import dev.understudy.ha.message.Bye;
import dev.understudy.ha.message.Delta;
import dev.understudy.ha.message.Demote;
import dev.understudy.ha.message.FullSync;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Heartbeat;
import dev.understudy.ha.message.Hello;
import dev.understudy.ha.message.Nack;
import dev.understudy.ha.message.Promote;
import java.util.List;

/** One sample message of every type, with non-trivial contents. */
final class Messages {

    private Messages() {}

    static List<HaMessage> samples() {
        ObjectNode mapping = Json.object().put("listenHost", "0.0.0.0").put("listenPort", 8443)
                .put("backendHost", "10.0.0.7").put("backendPort", 443).put("description", "web \u00e9\u4e2d");
        byte[] binary = new byte[1024];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31 + 7);
        }
        return List.of(
                new Hello("node-a", "shadow", "CONNECTING", 3, 17, "ab12", "0.1.0", 1, "127.0.0.1:7001",
                        "admin", "s3cret pass"),
                new Hello("node-b", "master", "ACTIVE_ALONE", 4, 0, "00", "0.1.0", 1, null, null, null),
                new Heartbeat(3, 17, "ab12", 99, "master", "ACTIVE_PAIRED"),
                new FullSync(3, 42, 17, "ab12", 0, 2, 2048, "journal retention exceeded", binary),
                new Delta(3, 15, "ff01", List.of(
                        new Revision(16, "aa01", List.of(ChangeOp.put(ConfigCollection.MAPPINGS, "web", mapping),
                                ChangeOp.put(ConfigCollection.SETTINGS, "motd", Json.mapper().getNodeFactory().textNode("hi")))),
                        new Revision(17, "aa02", List.of(ChangeOp.delete(ConfigCollection.MAPPINGS, "old"))))),
                new Ack(3, 17, "aa02"),
                new Nack(3, "base mismatch", true, 12, "0f0f"),
                new Promote(4, 17, "aa02"),
                new Demote(5, "peer active in epoch 5"),
                new Bye(3, "SHUTDOWN", "node stopping"));
    }
}
