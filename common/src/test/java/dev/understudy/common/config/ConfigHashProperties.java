package dev.understudy.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The config hash depends on the entries only, never on the order they arrived in. */
class ConfigHashProperties {

    @Provide
    Arbitrary<Map<String, JsonNode>> settings() {
        return Arbitraries.maps(Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8),
                JsonArbitraries.objectValue()).ofMaxSize(12);
    }

    private static ConfigDocument build(List<Map.Entry<String, JsonNode>> entries) {
        ConfigDocument d = new ConfigDocument();
        entries.forEach(e -> d.put(ConfigCollection.SETTINGS, e.getKey(), e.getValue()));
        return d;
    }

    @Property(tries = 100)
    void equalDocumentsBuiltInDifferentOrdersHaveEqualHashes(@ForAll("settings") Map<String, JsonNode> entries,
                                                             @ForAll long seed) throws InvalidChangeException {
        List<Map.Entry<String, JsonNode>> inOrder = new ArrayList<>(entries.entrySet());
        List<Map.Entry<String, JsonNode>> shuffled = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : inOrder) {
            shuffled.add(Map.entry(e.getKey(), JsonArbitraries.reordered(e.getValue())));
        }
        Collections.shuffle(shuffled, new Random(seed));
        ConfigDocument a = build(inOrder);
        ConfigDocument b = build(shuffled);
        assertThat(b.hash()).isEqualTo(a.hash());
        assertThat(b.toJson()).isEqualTo(a.toJson());
        // an incremental hash equals the hash of the same document read back whole
        assertThat(ConfigDocument.fromJson(a.toJson()).hash()).isEqualTo(a.hash());
    }

    @Property(tries = 100)
    void putThenDeleteReturnsToThePreviousHash(@ForAll("settings") Map<String, JsonNode> entries,
                                               @ForAll("settings") Map<String, JsonNode> more) {
        ConfigDocument d = build(new ArrayList<>(entries.entrySet()));
        String before = d.hash();
        more.keySet().removeAll(entries.keySet());
        more.forEach((k, v) -> d.put(ConfigCollection.SETTINGS, k, v));
        if (!more.isEmpty()) {
            assertThat(d.hash()).isNotEqualTo(before);
        }
        more.keySet().forEach(k -> d.remove(ConfigCollection.SETTINGS, k));
        assertThat(d.hash()).isEqualTo(before);
        if (entries.isEmpty()) {
            assertThat(d.hash()).isEqualTo(ConfigHash.EMPTY);
        }
    }

    @Property(tries = 100)
    void aDifferentValueGivesADifferentHash(@ForAll("settings") Map<String, JsonNode> entries,
                                            @ForAll("settings") Map<String, JsonNode> other) {
        ConfigDocument a = build(new ArrayList<>(entries.entrySet()));
        ConfigDocument b = build(new ArrayList<>(other.entrySet()));
        // compare canonical bytes: 0 as an int and 0 as a long are one value
        if (java.util.Arrays.equals(dev.understudy.common.json.Json.canonical(a.toJson()),
                dev.understudy.common.json.Json.canonical(b.toJson()))) {
            assertThat(b.hash()).isEqualTo(a.hash());
        } else {
            assertThat(b.hash()).isNotEqualTo(a.hash());
        }
        if (!entries.isEmpty()) {
            String k = entries.keySet().iterator().next();
            String h = a.hash();
            a.put(ConfigCollection.SETTINGS, k, TextNode.valueOf("changed " + entries.get(k)));
            assertThat(a.hash()).isNotEqualTo(h);
        }
    }

    @Property(tries = 100)
    void copyKeepsTheHashAndUndoRestoresHashAndContent(@ForAll("settings") Map<String, JsonNode> entries,
                                                       @ForAll("settings") Map<String, JsonNode> change,
                                                       @ForAll boolean deleteSome) throws InvalidChangeException {
        ConfigDocument d = build(new ArrayList<>(entries.entrySet()));
        ConfigDocument copy = d.copy();
        assertThat(copy.hash()).isEqualTo(d.hash());
        assertThat(copy.toJson()).isEqualTo(d.toJson());
        List<ChangeOp> ops = new ArrayList<>();
        change.forEach((k, v) -> ops.add(ChangeOp.put(ConfigCollection.SETTINGS, k, v)));
        if (deleteSome) {
            entries.keySet().stream().filter(k -> !change.containsKey(k)).limit(3)
                    .forEach(k -> ops.add(ChangeOp.delete(ConfigCollection.SETTINGS, k)));
        }
        if (ops.isEmpty()) {
            return;
        }
        ConfigDocument.Undo undo = d.applyWithUndo(d.validate(new ChangeSet(ops)));
        // the copy is independent of later changes
        assertThat(copy.hash()).isEqualTo(build(new ArrayList<>(entries.entrySet())).hash());
        undo.revert();
        assertThat(d.hash()).isEqualTo(copy.hash());
        assertThat(d.toJson()).isEqualTo(copy.toJson());
    }
}
