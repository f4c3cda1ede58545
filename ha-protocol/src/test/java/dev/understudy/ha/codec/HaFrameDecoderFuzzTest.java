package dev.understudy.ha.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.understudy.ha.message.HaMessage;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * Arbitrary bytes into the framing and codec stages: whatever arrives, either valid messages come
 * out or the channel closes with a reason; no exception reaches the end of the pipeline. Runs the
 * seeds under {@code HaFrameDecoderFuzzTestInputs/} with plain {@code mvn test}; set
 * {@code JAZZER_FUZZ=1} to fuzz.
 */
class HaFrameDecoderFuzzTest {

    /** Small enough that the fuzzer can reach the limit, large enough for real messages. */
    private static final int MAX_FRAME = 8 * 1024;

    @FuzzTest(maxDuration = "30s")
    void arbitraryBytes(byte[] data) {
        // the first byte picks how the rest is cut into reads, so segmentation is fuzzed too
        int chunk = data.length == 0 ? 1 : 1 + (data[0] & 0x3F);
        EmbeddedChannel channel = new EmbeddedChannel();
        try {
            HaPipeline.addCodec(channel.pipeline(), MAX_FRAME);
            for (int i = data.length == 0 ? 0 : 1; i < data.length && channel.isOpen(); i += chunk) {
                channel.writeInbound(Unpooled.wrappedBuffer(data, i, Math.min(chunk, data.length - i)));
            }
            channel.checkException();
            for (Object m; (m = channel.readInbound()) != null; ) {
                assertThat(m).isInstanceOf(HaMessage.class);
                // what the codec accepted, it can write back and read again identically
                HaMessage back = roundTrip((HaMessage) m);
                assertThat(back).usingRecursiveComparison().isEqualTo(m);
            }
            if (!channel.isOpen()) {
                assertThat(channel.attr(HaPipeline.PROTOCOL_ERROR).get()).isNotBlank();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static HaMessage roundTrip(HaMessage m) {
        EmbeddedChannel ch = new EmbeddedChannel();
        try {
            HaPipeline.addCodec(ch.pipeline(), HaFrameDecoder.DEFAULT_MAX_FRAME);
            ch.writeInbound(Unpooled.wrappedBuffer(HaMessageCodec.encode(m)));
            ch.checkException();
            return ch.readInbound();
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
