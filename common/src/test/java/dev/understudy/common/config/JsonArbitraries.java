package dev.understudy.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.understudy.common.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/** Random JSON values for properties (test helper). */
public final class JsonArbitraries {

    private JsonArbitraries() {}

    public static Arbitrary<String> text() {
        return Arbitraries.strings().withCharRange('a', 'z').withChars("AZ09 \"\\/é€\n").ofMaxLength(10);
    }

    public static Arbitrary<JsonNode> leaf() {
        return Arbitraries.oneOf(
                Arbitraries.integers().map(i -> (JsonNode) IntNode.valueOf(i)),
                Arbitraries.longs().map(l -> (JsonNode) LongNode.valueOf(l)),
                text().map(s -> (JsonNode) TextNode.valueOf(s)),
                Arbitraries.of(BooleanNode.TRUE, BooleanNode.FALSE, NullNode.instance).map(n -> (JsonNode) n));
    }

    public static Arbitrary<JsonNode> value(int depth) {
        if (depth == 0) {
            return leaf();
        }
        Arbitrary<JsonNode> object = Arbitraries.maps(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(5), value(depth - 1))
                .ofMaxSize(4).map(JsonArbitraries::object);
        Arbitrary<JsonNode> array = value(depth - 1).list().ofMaxSize(3).map(l -> {
            ArrayNode a = Json.mapper().createArrayNode();
            l.forEach(a::add);
            return (JsonNode) a;
        });
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, leaf()), net.jqwik.api.Tuple.of(2, object), net.jqwik.api.Tuple.of(1, array));
    }

    /** A JSON object: the form settings values usually take. */
    public static Arbitrary<JsonNode> objectValue() {
        return Arbitraries.maps(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(5), value(2))
                .ofMinSize(1).ofMaxSize(5).map(JsonArbitraries::object);
    }

    private static JsonNode object(Map<String, JsonNode> m) {
        ObjectNode o = Json.object();
        m.forEach(o::set);
        return o;
    }

    /** The same value with every object's fields inserted in the reverse order. */
    public static JsonNode reordered(JsonNode n) {
        if (n.isObject()) {
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(n.properties());
            ObjectNode o = Json.object();
            for (int i = fields.size() - 1; i >= 0; i--) {
                o.set(fields.get(i).getKey(), reordered(fields.get(i).getValue()));
            }
            return o;
        }
        if (n.isArray()) {
            ArrayNode a = Json.mapper().createArrayNode();
            n.forEach(e -> a.add(reordered(e)));
            return a;
        }
        return n;
    }
}
