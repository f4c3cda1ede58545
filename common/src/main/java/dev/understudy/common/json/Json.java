package dev.understudy.common.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The project's single JSON configuration: strict on input, canonical on output. */
public final class Json {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    static {
        // bound nesting so a hostile document cannot exhaust the stack
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxStringLength(16 * 1024 * 1024).build());
    }

    private static final ObjectMapper CANONICAL = MAPPER.copy()
            .configure(SerializationFeature.INDENT_OUTPUT, false);

    private Json() {}

    /** The shared mapper; thread-safe once configured. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static byte[] toBytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    public static String toString(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    public static String pretty(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    /**
     * Canonical bytes of a JSON tree: object fields sorted by name at every level, no whitespace.
     * Equal trees give equal bytes whatever order their fields were added in.
     */
    public static byte[] canonical(JsonNode node) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(128);
        try (com.fasterxml.jackson.core.JsonGenerator g = CANONICAL.getFactory().createGenerator(out)) {
            writeCanonical(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    // written directly from the tree (no intermediate maps): objects' fields sorted by name at every level
    private static void writeCanonical(com.fasterxml.jackson.core.JsonGenerator g, JsonNode n) throws IOException {
        if (n.isObject()) {
            java.util.List<String> names = new java.util.ArrayList<>(n.size());
            n.fieldNames().forEachRemaining(names::add);
            java.util.Collections.sort(names);
            g.writeStartObject();
            for (String name : names) {
                g.writeFieldName(name);
                writeCanonical(g, n.get(name));
            }
            g.writeEndObject();
        } else if (n.isArray()) {
            g.writeStartArray();
            for (JsonNode e : n) {
                writeCanonical(g, e);
            }
            g.writeEndArray();
        } else {
            CANONICAL.writeTree(g, n);
        }
    }

    public static <T> T read(byte[] bytes, Class<T> type) throws IOException {
        return MAPPER.readValue(bytes, type);
    }

    public static <T> T read(String text, Class<T> type) throws IOException {
        return MAPPER.readValue(text, type);
    }

    public static JsonNode tree(byte[] bytes) throws IOException {
        return MAPPER.readTree(bytes);
    }

    public static JsonNode tree(String text) throws IOException {
        JsonNode node = MAPPER.readTree(text);
        if (node == null || node.isMissingNode()) {
            throw new IOException("empty JSON");
        }
        return node;
    }

    /**
     * What went wrong reading JSON, on one line and without Jackson's source excerpt: the
     * parser's own message and where ("not valid JSON: Unexpected end-of-input (line 1, column 17)").
     */
    public static String describe(Exception e) {
        if (e instanceof JsonProcessingException j) {
            String what = j instanceof com.fasterxml.jackson.core.exc.StreamReadException ? "not valid JSON: " : "";
            com.fasterxml.jackson.core.JsonLocation l = j.getLocation();
            String where = l == null || l.getLineNr() < 0 ? "" : " (line " + l.getLineNr() + ", column " + l.getColumnNr() + ")";
            return what + oneLine(j.getOriginalMessage()) + where;
        }
        return oneLine(e.getMessage());
    }

    private static String oneLine(String s) {
        return s == null ? "unreadable" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
