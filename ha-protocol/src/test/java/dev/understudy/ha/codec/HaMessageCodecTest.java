package dev.understudy.ha.codec;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.MessageType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class HaMessageCodecTest {

    private static final int SMALL_MAX = 64 * 1024;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger errorLogger = (Logger) LoggerFactory.getLogger(HaProtocolErrorHandler.class);
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        logs.start();
        errorLogger.addAppender(logs);
        channel = new EmbeddedChannel();
        HaPipeline.addCodec(channel.pipeline(), SMALL_MAX);
    }

    @AfterEach
    void tearDown() {
        errorLogger.detachAppender(logs);
        channel.finishAndReleaseAll();
    }

    @Test
    void everyMessageTypeRoundTrips() {
        List<HaMessage> samples = Messages.samples();
        Set<MessageType> covered = samples.stream().map(HaMessage::type).collect(Collectors.toSet());
        assertThat(covered).isEqualTo(EnumSet.allOf(MessageType.class));

        for (HaMessage m : samples) {
            assertThat(channel.writeOutbound(m)).isTrue();
            ByteBuf wire = channel.readOutbound();
            assertThat(wire.getByte(0)).isEqualTo((byte) 'U');
            assertThat(wire.getByte(1)).isEqualTo((byte) 'S');
            assertThat(wire.getByte(2)).isEqualTo((byte) 1);
            assertThat(wire.getByte(3)).isEqualTo(m.type().value());
            assertThat(wire.getInt(4)).isEqualTo(wire.readableBytes() - 8);
            channel.writeInbound(wire);
            HaMessage back = channel.readInbound();
            assertThat(back).isInstanceOf(m.getClass());
            assertThat(back).usingRecursiveComparison().isEqualTo(m);
        }
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void framesSplitAtEveryByteBoundaryAreReassembled() {
        byte[] stream = concat(HaMessageCodec.encode(Messages.samples().get(0)),
                HaMessageCodec.encode(Messages.samples().get(4)));
        for (int cut = 0; cut <= stream.length; cut++) {
            EmbeddedChannel ch = new EmbeddedChannel();
            HaPipeline.addCodec(ch.pipeline(), SMALL_MAX);
            ch.writeInbound(Unpooled.wrappedBuffer(stream, 0, cut));
            ch.writeInbound(Unpooled.wrappedBuffer(stream, cut, stream.length - cut));
            HaMessage first = ch.readInbound();
            HaMessage second = ch.readInbound();
            assertThat(first).as("cut at %d", cut).usingRecursiveComparison().isEqualTo(Messages.samples().get(0));
            assertThat(second).as("cut at %d", cut).usingRecursiveComparison().isEqualTo(Messages.samples().get(4));
            assertThat((Object) ch.readInbound()).isNull();
            assertThat(ch.isOpen()).isTrue();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void byteByByteDeliveryDecodesEveryFrame() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (HaMessage m : Messages.samples()) {
            all.writeBytes(HaMessageCodec.encode(m));
        }
        for (byte b : all.toByteArray()) {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        assertThat(readAll()).usingRecursiveFieldByFieldElementComparator().isEqualTo(Messages.samples());
    }

    @Test
    void severalFramesInOneBufferAreAllDelivered() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (HaMessage m : Messages.samples()) {
            all.writeBytes(HaMessageCodec.encode(m));
        }
        channel.writeInbound(Unpooled.wrappedBuffer(all.toByteArray()));
        assertThat(readAll()).usingRecursiveFieldByFieldElementComparator().isEqualTo(Messages.samples());
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void oversizedLengthClosesBeforeAnyBodyArrives() {
        channel.writeInbound(Unpooled.wrappedBuffer(header(1, MessageType.FULL_SYNC.value(), SMALL_MAX + 1)));
        assertRefused("frame length: " + (SMALL_MAX + 1) + " (expected: <= " + SMALL_MAX + ")");
    }

    @Test
    void lengthAboveTwoGigabytesIsRefusedNotNegative() {
        channel.writeInbound(Unpooled.wrappedBuffer(header(1, MessageType.ACK.value(), 0xFFFF_FFFFL)));
        assertRefused("frame length: 4294967295");
    }

    @Test
    void frameOfExactlyMaxSizeIsAccepted() {
        EmbeddedChannel ch = new EmbeddedChannel();
        HaPipeline.addCodec(ch.pipeline(), 0);
        ch.writeInbound(Unpooled.wrappedBuffer(header(1, MessageType.ACK.value(), 1)));
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
        // the real encoding of a message fits the limit we configure from its size
        byte[] ack = HaMessageCodec.encode(Messages.samples().get(5));
        EmbeddedChannel exact = new EmbeddedChannel();
        HaPipeline.addCodec(exact.pipeline(), ack.length - 8);
        exact.writeInbound(Unpooled.wrappedBuffer(ack));
        assertThat((Object) exact.readInbound()).usingRecursiveComparison().isEqualTo(Messages.samples().get(5));
        exact.finishAndReleaseAll();
    }

    @Test
    void badMagicClosesOnTheFirstByte() {
        channel.writeInbound(Unpooled.wrappedBuffer("G".getBytes(StandardCharsets.US_ASCII)));
        assertRefused("bad magic: 0x47 (expected: 0x5553 \"US\")");
    }

    @Test
    void httpRequestIsRefusedAsBadMagic() {
        channel.writeInbound(Unpooled.wrappedBuffer("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertRefused("bad magic: 0x4745");
    }

    @Test
    void unknownVersionClosesBeforeTheRestOfTheHeader() {
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {'U', 'S', 2}));
        assertRefused("protocol version: 2 (expected: 1)");
    }

    @Test
    void unknownTypeCloses() {
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {'U', 'S', 1, 0x63}));
        assertRefused("message type: 99");
    }

    @Test
    void garbageBytesClose() {
        byte[] garbage = new byte[4096];
        new Random(7).nextBytes(garbage);
        garbage[0] = 'U'; // get past the first check at least
        channel.writeInbound(Unpooled.wrappedBuffer(garbage));
        assertThat(channel.isOpen()).isFalse();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.attr(HaPipeline.PROTOCOL_ERROR).get()).isNotBlank();
    }

    @Test
    void truncatedJsonCloses() {
        byte[] json = "{\"epoch\":3,\"revision\":17,\"hash\":\"aa".getBytes(StandardCharsets.UTF_8);
        channel.writeInbound(Unpooled.wrappedBuffer(frame(MessageType.ACK, json)));
        assertRefused("ACK payload: not valid JSON");
    }

    @Test
    void payloadInAnotherCharacterEncodingCloses() {
        // four bytes that make Jackson guess UTF-32 and then fail on an invalid code point
        channel.writeInbound(Unpooled.wrappedBuffer(frame(MessageType.ACK, new byte[] {0, 0, 0, (byte) 0x7b, 0x7f, 0x7f, 0x7f, 0x7f})));
        assertThat(channel.isOpen()).isFalse();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.attr(HaPipeline.PROTOCOL_ERROR).get()).startsWith("ACK payload: not valid JSON");
    }

    @Test
    void emptyPayloadCloses() {
        channel.writeInbound(Unpooled.wrappedBuffer(frame(MessageType.HEARTBEAT, new byte[0])));
        assertRefused("HEARTBEAT payload: empty (expected: a JSON object)");
    }

    @Test
    void jsonArrayInsteadOfObjectCloses() {
        channel.writeInbound(Unpooled.wrappedBuffer(frame(MessageType.ACK, "[1,2]".getBytes(StandardCharsets.UTF_8))));
        assertRefused("ACK payload: array (expected: a JSON object)");
    }

    @Test
    void unknownJsonFieldCloses() {
        byte[] json = "{\"epoch\":3,\"revision\":17,\"hash\":\"aa\",\"extra\":1}".getBytes(StandardCharsets.UTF_8);
        channel.writeInbound(Unpooled.wrappedBuffer(frame(MessageType.ACK, json)));
        assertRefused("ACK payload: unknown field \"extra\"");
    }

    @Test
    void unknownNestedFieldCloses() {
        String json = "{\"epoch\":3,\"baseRevision\":1,\"baseHash\":\"a\",\"changes\":[{\"revision\":2,\"hash\":\"b\","
                + "\"ops\":[{\"op\":\"delete\",\"collection\":\"mappings\",\"id\":\"x\",\"sneaky\":true}]}]}";
        channel.writeInbound(Unpooled.wrappedBuffer(frame(MessageType.DELTA, json.getBytes(StandardCharsets.UTF_8))));
        assertRefused("DELTA payload: unknown field \"sneaky\" at \"changes[0].ops[0].sneaky\"");
    }

    @Test
    void missingRequiredFieldCloses() {
        byte[] json = "{\"revision\":17,\"hash\":\"aa\"}".getBytes(StandardCharsets.UTF_8);
        channel.writeInbound(Unpooled.wrappedBuffer(frame(MessageType.ACK, json)));
        assertRefused("ACK payload: missing field \"epoch\"");
    }

    @Test
    void wrongValueTypeClosesWithoutQuotingTheValue() {
        String json = "{\"nodeId\":\"n\",\"role\":\"shadow\",\"state\":\"S\",\"epoch\":1,\"revision\":1,\"hash\":\"h\","
                + "\"softwareVersion\":\"0.1.0\",\"protocolVersion\":1,\"user\":\"admin\",\"password\":{\"p\":\"hunter2-secret\"}}";
        channel.writeInbound(Unpooled.wrappedBuffer(frame(MessageType.HELLO, json.getBytes(StandardCharsets.UTF_8))));
        assertRefused("HELLO payload: invalid value for field \"password\"");
        assertThat(channel.attr(HaPipeline.PROTOCOL_ERROR).get()).doesNotContain("hunter2");
        assertThat(logs.list).noneMatch(e -> e.getFormattedMessage().contains("hunter2"));
    }

    @Test
    void payloadOfAnotherTypeCloses() {
        // a valid HEARTBEAT payload sent under the ACK type byte
        byte[] heartbeat = HaMessageCodec.encode(Messages.samples().get(2));
        byte[] payload = Arrays.copyOfRange(heartbeat, 8, heartbeat.length);
        channel.writeInbound(Unpooled.wrappedBuffer(frame(MessageType.ACK, payload)));
        assertRefused("ACK payload: unknown field");
    }

    @Test
    void goodFrameBeforeABadOneIsDeliveredAndNothingAfter() {
        byte[] good = HaMessageCodec.encode(Messages.samples().get(5));
        byte[] bad = frame(MessageType.ACK, "{oops".getBytes(StandardCharsets.UTF_8));
        byte[] laterGood = HaMessageCodec.encode(Messages.samples().get(6));
        channel.writeInbound(Unpooled.wrappedBuffer(concat(good, concat(bad, laterGood))));
        assertThat((Object) channel.readInbound()).usingRecursiveComparison().isEqualTo(Messages.samples().get(5));
        assertRefused("ACK payload: not valid JSON");
    }

    @Test
    void bytesAfterAProtocolErrorAreDiscardedAndReportedOnce() {
        channel.writeInbound(Unpooled.wrappedBuffer(concat(new byte[] {'X'},
                HaMessageCodec.encode(Messages.samples().get(5)))));
        assertRefused("bad magic");
        assertThat(logs.list).hasSize(1);
    }

    @Test
    void addCodecRefusesAPipelineThatAlreadyHasTheHandler() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(HaPipeline.HANDLER, new io.netty.channel.ChannelInboundHandlerAdapter());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HaPipeline.addCodec(ch.pipeline()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("before the application handler");
        ch.finishAndReleaseAll();
    }

    @Test
    void pipelineOrderIsFramingCodecEncoderErrors() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(HaPipeline.IDLE, new io.netty.channel.ChannelInboundHandlerAdapter());
        HaPipeline.addCodec(ch.pipeline());
        assertThat(ch.pipeline().names()).startsWith(HaPipeline.IDLE, HaPipeline.FRAMING, HaPipeline.CODEC,
                HaPipeline.ENCODER, HaPipeline.PROTOCOL_ERRORS);
        assertThat(((HaFrameDecoder) ch.pipeline().get(HaPipeline.FRAMING)).maxFrame())
                .isEqualTo(HaFrameDecoder.DEFAULT_MAX_FRAME);
        // stateless stages are shared, stateful ones are per channel
        assertThat(ch.pipeline().get(HaPipeline.ENCODER)).isSameAs(channel.pipeline().get(HaPipeline.ENCODER));
        assertThat(ch.pipeline().get(HaPipeline.PROTOCOL_ERRORS)).isSameAs(channel.pipeline().get(HaPipeline.PROTOCOL_ERRORS));
        assertThat(ch.pipeline().get(HaPipeline.FRAMING)).isNotSameAs(channel.pipeline().get(HaPipeline.FRAMING));
        assertThat(ch.pipeline().get(HaPipeline.CODEC)).isNotSameAs(channel.pipeline().get(HaPipeline.CODEC));
        ch.finishAndReleaseAll();
    }

    private void assertRefused(String reasonPrefix) {
        assertThat(channel.isOpen()).as("channel closed").isFalse();
        assertThat((Object) channel.readInbound()).as("nothing passed on").isNull();
        String reason = channel.attr(HaPipeline.PROTOCOL_ERROR).get();
        assertThat(reason).startsWith(reasonPrefix);
        assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                .isEqualTo("closing HA connection from embedded: " + reason));
        channel.checkException(); // nothing escaped to the end of the pipeline
    }

    private List<HaMessage> readAll() {
        List<HaMessage> out = new ArrayList<>();
        for (HaMessage m; (m = channel.readInbound()) != null; ) {
            out.add(m);
        }
        return out;
    }

    static byte[] header(int version, byte type, long length) {
        return new byte[] {'U', 'S', (byte) version, type,
            (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
    }

    static byte[] frame(MessageType type, byte[] payload) {
        return concat(header(1, type.value(), payload.length), payload);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
