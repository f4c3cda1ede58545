package dev.understudy.ha.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.json.Json;
import dev.understudy.common.text.LogSafe;
import dev.understudy.ha.message.Ack;
import dev.understudy.ha.message.Bye;
import dev.understudy.ha.message.Delta;
import dev.understudy.ha.message.Demote;
import dev.understudy.ha.message.FullSync;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Heartbeat;
import dev.understudy.ha.message.Hello;
import dev.understudy.ha.message.MessageType;
import dev.understudy.ha.message.Nack;
import dev.understudy.ha.message.Promote;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns {@link HaFrame}s into {@link HaMessage} records and records into frame bytes.
 *
 * <pre>
 *  0      1      2         3        4                               8
 * +------+------+---------+--------+-------------------------------+----------------------+
 * | 'U'  | 'S'  | version | type   | length (uint32, big-endian)   | payload              |
 * | 0x55 | 0x53 | 0x01    | 1..9   | 0 .. max frame (16 MiB)       | JSON, length bytes   |
 * +------+------+---------+--------+-------------------------------+----------------------+
 * </pre>
 *
 * <p>{@code version} is a {@link ProtocolVersion} byte, {@code type} a {@link MessageType} byte, and
 * the payload is the JSON of the message record ({@link Json}): unknown fields are rejected and every
 * field must be present, except those listed as optional (HELLO's pairing credentials and address).
 * Every decoding failure is a {@link HaProtocolException} whose reason names the type and the field
 * but never quotes payload values, which may be secrets (HELLO carries a password when pairing).
 */
public final class HaMessageCodec {

    private static final Map<MessageType, Class<? extends HaMessage>> RECORDS = new EnumMap<>(MessageType.class);
    private static final Map<MessageType, List<String>> REQUIRED = new EnumMap<>(MessageType.class);
    /** Fields a sender may leave out; absent means null. */
    private static final Map<MessageType, Set<String>> OPTIONAL = Map.of(
            MessageType.HELLO, Set.of("haAddress", "user", "password", "adminPort"));

    static {
        for (MessageType t : MessageType.values()) {
            Class<? extends HaMessage> c = recordClass(t);
            RECORDS.put(t, c);
            Set<String> optional = OPTIONAL.getOrDefault(t, Set.of());
            REQUIRED.put(t, Arrays.stream(c.getRecordComponents()).map(RecordComponent::getName)
                    .filter(n -> !optional.contains(n)).toList());
        }
    }

    private HaMessageCodec() {}

    /** The record class carried by frames of type {@code t}. */
    public static Class<? extends HaMessage> recordClass(MessageType t) {
        return switch (t) {
            case HELLO -> Hello.class;
            case HEARTBEAT -> Heartbeat.class;
            case FULL_SYNC -> FullSync.class;
            case DELTA -> Delta.class;
            case ACK -> Ack.class;
            case NACK -> Nack.class;
            case PROMOTE -> Promote.class;
            case DEMOTE -> Demote.class;
            case BYE -> Bye.class;
        };
    }

    /** The message in {@code frame}; a payload that is not exactly that record's JSON throws {@link HaProtocolException}. */
    public static HaMessage decode(HaFrame frame) {
        MessageType type = frame.type();
        ObjectMapper mapper = Json.mapper();
        JsonNode tree;
        try {
            tree = mapper.readTree(frame.payload());
        } catch (IOException e) {
            throw new HaProtocolException(type + " payload: " + describe(e), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new HaProtocolException(type + " payload: " + (tree == null || tree.isMissingNode() ? "empty"
                    : tree.getNodeType().toString().toLowerCase(Locale.ROOT)) + " (expected: a JSON object)");
        }
        for (String field : REQUIRED.get(type)) {
            // an explicit null is missing too: the encoder never writes one, and the record would carry it on
            if (!tree.hasNonNull(field)) {
                throw new HaProtocolException(type + " payload: missing field \"" + field + "\"");
            }
        }
        HaMessage message;
        try {
            message = mapper.treeToValue(tree, RECORDS.get(type));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new HaProtocolException(type + " payload: " + describe(e), e);
        }
        return checked(message);
    }

    private static final Pattern WORD = Pattern.compile("[A-Za-z_]{1,32}");
    private static final Pattern CODE = Pattern.compile("[A-Z][A-Z_]{0,63}");
    private static final Pattern HASH = Pattern.compile("[0-9A-Fa-f]{0,128}");
    private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z][0-9A-Za-z.+-]{0,63}");
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /**
     * What a peer sends is checked before anything logs, stores or shows it: identifiers must match
     * their strict patterns (a node id as `init` enforces it, a version, a state name, a hex hash) or the
     * frame is refused; free text (a BYE, NACK, DEMOTE or FULL_SYNC reason) is escaped and bounded with
     * {@link LogSafe}, so it can never forge a log line, an events.log entry or an alert. Refusals quote
     * the value only escaped.
     */
    private static HaMessage checked(HaMessage m) {
        if (m instanceof Hello h) {
            if (!NodeSettings.isNodeId(h.nodeId())) {
                throw invalid(m, "nodeId", h.nodeId(), NodeSettings.NODE_ID_RULE);
            }
            require(m, "role", h.role(), WORD, "a role name");
            require(m, "state", h.state(), WORD, "a state name");
            require(m, "hash", h.hash(), HASH, "hex digits");
            require(m, "softwareVersion", h.softwareVersion(), VERSION, "a version such as 1.2.3");
            if (h.haAddress() != null && !HostPort.isValid(h.haAddress())) {
                throw invalid(m, "haAddress", h.haAddress(), "host:port");
            }
            if (h.user() != null) {
                require(m, "user", h.user(), USER, "an admin user name");
            }
            return h;
        }
        if (m instanceof Heartbeat hb) {
            require(m, "hash", hb.hash(), HASH, "hex digits");
            require(m, "role", hb.role(), WORD, "a role name");
            require(m, "state", hb.state(), WORD, "a state name");
            return hb;
        }
        if (m instanceof Ack a) {
            require(m, "hash", a.hash(), HASH, "hex digits");
            return a;
        }
        if (m instanceof Promote p) {
            require(m, "hash", p.hash(), HASH, "hex digits");
            return p;
        }
        if (m instanceof Delta d) {
            require(m, "baseHash", d.baseHash(), HASH, "hex digits");
            return d;
        }
        if (m instanceof Nack n) {
            require(m, "hash", n.hash(), HASH, "hex digits");
            return new Nack(n.epoch(), text(n.reason()), n.needFull(), n.revision(), n.hash());
        }
        if (m instanceof FullSync f) {
            require(m, "hash", f.hash(), HASH, "hex digits");
            return new FullSync(f.epoch(), f.transferId(), f.revision(), f.hash(), f.chunk(), f.chunks(), f.totalBytes(),
                    text(f.reason()), f.data());
        }
        if (m instanceof Demote d) {
            return new Demote(d.epoch(), text(d.reason()));
        }
        if (m instanceof Bye b) {
            require(m, "code", b.code(), CODE, "an upper-case code such as AUTH_FAILED");
            return new Bye(b.epoch(), b.code(), text(b.reason()));
        }
        throw new IllegalStateException("unchecked message type " + m.type());
    }

    private static String text(String peerText) {
        return LogSafe.escape(peerText, LogSafe.MAX_REASON);
    }

    private static void require(HaMessage m, String field, String value, Pattern p, String expected) {
        if (value == null || !p.matcher(value).matches()) {
            throw invalid(m, field, value, expected);
        }
    }

    private static HaProtocolException invalid(HaMessage m, String field, String value, String expected) {
        return new HaProtocolException(m.type() + " payload: " + field + ": \"" + LogSafe.escape(value, 80)
                + "\" (expected: " + expected + ")");
    }

    /** The complete frame for {@code message}, header included, written into {@code out}. */
    public static void encode(HaMessage message, ByteBuf out) {
        int start = out.writerIndex();
        out.writeByte(HaFrameDecoder.MAGIC_0);
        out.writeByte(HaFrameDecoder.MAGIC_1);
        out.writeByte(ProtocolVersion.CURRENT.value());
        out.writeByte(message.type().value());
        out.writeInt(0); // length, filled in below
        try (ByteBufOutputStream stream = new ByteBufOutputStream(out)) {
            // the cast picks writeValue(OutputStream, ..): ByteBufOutputStream is also a DataOutput
            Json.mapper().writeValue((OutputStream) stream, message);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialize " + message.type(), e);
        }
        int length = out.writerIndex() - start - HaFrameDecoder.HEADER_LENGTH;
        if (length > HaFrameDecoder.DEFAULT_MAX_FRAME) {
            out.writerIndex(start);
            throw new IllegalArgumentException(message.type() + " payload: " + length + " bytes (expected: <= "
                    + HaFrameDecoder.DEFAULT_MAX_FRAME + "); send large data in smaller chunks");
        }
        out.setInt(start + 4, length);
    }

    /** The complete frame for {@code message} as bytes (tests, benchmarks). */
    public static byte[] encode(HaMessage message) {
        ByteBuf buf = Unpooled.buffer();
        try {
            encode(message, buf);
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            return bytes;
        } finally {
            buf.release();
        }
    }

    /** What went wrong, without quoting any value from the payload. */
    private static String describe(Exception e) {
        if (e instanceof UnrecognizedPropertyException u) {
            return "unknown field \"" + safe(u.getPropertyName()) + "\"" + at(u);
        }
        if (e instanceof StreamConstraintsException) {
            return "nested or sized beyond limits";
        }
        if (e instanceof CharConversionException) {
            return "not valid JSON text (bad character encoding; expected: UTF-8)";
        }
        if (e instanceof StreamReadException r) {
            return "not valid JSON" + location(r.getLocation());
        }
        if (e instanceof JsonMappingException m) {
            String path = path(m);
            return (path.isEmpty() ? "invalid content" : "invalid value for field \"" + path + "\"");
        }
        return "cannot be read (" + e.getClass().getSimpleName() + ")";
    }

    private static String at(JsonMappingException m) {
        List<JsonMappingException.Reference> refs = m.getPath();
        if (refs.size() <= 1) {
            return "";
        }
        return " at \"" + path(m) + "\"";
    }

    private static String path(JsonMappingException m) {
        List<String> parts = new ArrayList<>();
        for (JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                parts.add((parts.isEmpty() ? "" : ".") + safe(r.getFieldName()));
            } else if (r.getIndex() >= 0) {
                parts.add("[" + r.getIndex() + "]");
            }
        }
        return String.join("", parts);
    }

    private static String location(JsonLocation l) {
        return l == null || l.getLineNr() < 0 ? "" : " (line " + l.getLineNr() + ", column " + l.getColumnNr() + ")";
    }

    /** A field name from the peer, escaped and bounded in length. */
    private static String safe(String name) {
        return LogSafe.escape(name, 64);
    }
}
