package dev.understudy.ha.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.MessageType;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;

/**
 * Every message's decoding: a frame of any type with any payload either becomes that type's record
 * (which encodes and decodes back to itself) or is refused with a {@link HaProtocolException} that
 * gives a reason; no other exception escapes. Runs the seeds under
 * {@code HaMessageCodecFuzzTestInputs/} with plain {@code mvn test}; set {@code JAZZER_FUZZ=1} to fuzz.
 */
class HaMessageCodecFuzzTest {

    /** Arbitrary payload bytes, or (to get past the JSON parser more often) an object with the type's field names. */
    @FuzzTest(maxDuration = "60s")
    void decodeAnyTypeAnyPayload(FuzzedDataProvider data) {
        MessageType type = MessageType.values()[data.consumeInt(0, MessageType.values().length - 1)];
        byte[] payload = data.consumeBoolean()
                ? structured(type, data).getBytes(StandardCharsets.UTF_8)
                : data.consumeRemainingAsBytes();
        HaMessage m;
        try {
            m = HaMessageCodec.decode(new HaFrame(ProtocolVersion.CURRENT, type, payload));
        } catch (HaProtocolException e) {
            assertThat(e.getMessage()).startsWith(type + " payload: ");
            return;
        }
        assertThat(m).isInstanceOf(HaMessageCodec.recordClass(type));
        assertThat(m.type()).isEqualTo(type);
        byte[] frame = HaMessageCodec.encode(m);
        byte[] again = new byte[frame.length - HaFrameDecoder.HEADER_LENGTH];
        System.arraycopy(frame, HaFrameDecoder.HEADER_LENGTH, again, 0, again.length);
        HaMessage back = HaMessageCodec.decode(new HaFrame(ProtocolVersion.CURRENT, type, again));
        assertThat(back).usingRecursiveComparison().isEqualTo(m);
    }

    /** A JSON object with (most of) the record's field names and fuzzed values of fuzzed JSON kinds. */
    private static String structured(MessageType type, FuzzedDataProvider data) {
        ObjectNode o = Json.object();
        for (RecordComponent c : HaMessageCodec.recordClass(type).getRecordComponents()) {
            if (data.consumeInt(0, 15) == 0) {
                continue; // leave a field out now and then
            }
            switch (data.consumeInt(0, 7)) {
                case 0 -> o.put(c.getName(), data.consumeLong());
                case 1 -> o.put(c.getName(), data.consumeInt());
                case 2 -> o.put(c.getName(), data.consumeString(40));
                case 3 -> o.putNull(c.getName());
                case 4 -> o.put(c.getName(), data.consumeBoolean());
                case 5 -> o.put(c.getName(), data.consumeDouble());
                case 6 -> o.putArray(c.getName()).add(data.consumeString(20)).add(data.consumeLong());
                default -> {
                    try {
                        o.set(c.getName(), Json.tree(data.consumeString(200)));
                    } catch (java.io.IOException | RuntimeException notJson) {
                        o.putObject(c.getName());
                    }
                }
            }
        }
        if (data.consumeInt(0, 7) == 0) {
            o.put(data.consumeString(10), 1);
        }
        return o.toString();
    }
}
