package dev.understudy.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.understudy.common.json.Json;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Examples of the config hash, including the definition (sum mod 2^256 of SHA-256 per canonical entry). */
class ConfigHashTest {

    private static BigInteger sha(String s) throws Exception {
        return new BigInteger(1, MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    void emptyHashIsZero() {
        assertThat(ConfigHash.EMPTY).isEqualTo("0".repeat(64));
        assertThat(new ConfigDocument().hash()).isEqualTo(ConfigHash.EMPTY);
    }

    @Test
    void hashIsTheSumModulo2To256OfTheEntryDigests() throws Exception {
        ConfigDocument d = new ConfigDocument();
        JsonNode a = Json.tree("{\"z\":1,\"a\":[true,null,\"x\"]}");
        d.put(ConfigCollection.SETTINGS, "k1", a);
        d.put(ConfigCollection.SETTINGS, "k2", TextNode.valueOf("v"));
        BigInteger sum = sha("settings\nk1\n{\"a\":[true,null,\"x\"],\"z\":1}").add(sha("settings\nk2\n\"v\""))
                .mod(BigInteger.ONE.shiftLeft(256));
        assertThat(d.hash()).isEqualTo(String.format("%064x", sum));
    }

    @Test
    void subtractionWrapsAroundModulo2To256() {
        // removing before adding goes below zero; the limbs must borrow across all 256 bits
        ConfigHash h = new ConfigHash();
        h.remove(ConfigCollection.SETTINGS, "x", TextNode.valueOf("1"));
        assertThat(h.toHex()).isNotEqualTo(ConfigHash.EMPTY);
        h.add(ConfigCollection.SETTINGS, "x", TextNode.valueOf("1"));
        assertThat(h.toHex()).isEqualTo(ConfigHash.EMPTY);
        // digests with every limb near overflow: add many, remove them in another order
        ConfigHash g = new ConfigHash();
        for (int i = 0; i < 1000; i++) {
            g.add(ConfigCollection.SETTINGS, "k" + i, LongNode.valueOf(i));
        }
        for (int i = 999; i >= 0; i -= 2) {
            g.remove(ConfigCollection.SETTINGS, "k" + i, LongNode.valueOf(i));
        }
        for (int i = 0; i < 1000; i += 2) {
            g.remove(ConfigCollection.SETTINGS, "k" + i, LongNode.valueOf(i));
        }
        assertThat(g.toHex()).isEqualTo(ConfigHash.EMPTY);
    }

    @Test
    void fieldOrderAndNumberRepresentationDoNotMatterButValuesDo() throws Exception {
        ConfigDocument a = new ConfigDocument();
        ConfigDocument b = new ConfigDocument();
        a.put(ConfigCollection.SETTINGS, "s", Json.tree("{\"x\":1,\"y\":{\"p\":2,\"q\":3}}"));
        b.put(ConfigCollection.SETTINGS, "s", Json.tree("{\"y\":{\"q\":3,\"p\":2},\"x\":1}"));
        assertThat(b.hash()).isEqualTo(a.hash());
        b.put(ConfigCollection.SETTINGS, "s", Json.tree("{\"y\":{\"q\":3,\"p\":2},\"x\":2}"));
        assertThat(b.hash()).isNotEqualTo(a.hash());
        // the same value under another id or collection is another entry
        ConfigDocument c = new ConfigDocument();
        c.put(ConfigCollection.SETTINGS, "t", Json.tree("{\"x\":1,\"y\":{\"p\":2,\"q\":3}}"));
        assertThat(c.hash()).isNotEqualTo(a.hash());
    }

    @Test
    void idAndValueBoundaryCannotBeShifted() {
        // "a\nb" + "c" vs "a" + "b\nc": the separator must keep entries apart
        ConfigDocument a = new ConfigDocument();
        a.put(ConfigCollection.SETTINGS, "ab", TextNode.valueOf("c"));
        ConfigDocument b = new ConfigDocument();
        b.put(ConfigCollection.SETTINGS, "a", TextNode.valueOf("bc"));
        assertThat(a.hash()).isNotEqualTo(b.hash());
    }

    @Test
    void mappingReplacementAndUndoKeepTheListenIndexRight() throws Exception {
        ConfigDocument d = ChangeValidatorTest.baseDocument();
        String before = d.hash();
        JsonNode json = d.toJson();
        ConfigDocument.Undo undo = d.applyWithUndo(d.validate(ChangeSet.of(
                ChangeOp.delete(ConfigCollection.MAPPINGS, "web"),
                ChangeValidatorTest.putMapping("web", "10.0.0.3", 81),
                ChangeValidatorTest.putMapping("new", null, 80))));
        assertThat(d.hash()).isNotEqualTo(before);
        undo.revert();
        assertThat(d.hash()).isEqualTo(before);
        assertThat(d.toJson()).isEqualTo(json);
        // the index is back too: port 80 is taken by web again, 81 is free
        assertThat(d.mappingsOnPort(80)).containsEntry("0.0.0.0", "web");
        assertThat(d.mappingsOnPort(81)).isEmpty();
        ConfigDocument copy = d.copy();
        assertThat(copy.hash()).isEqualTo(before);
        copy.remove(ConfigCollection.MAPPINGS, "web");
        assertThat(d.mappingsOnPort(80)).as("copy shares no index with the original").containsEntry("0.0.0.0", "web");
        assertThat(HexFormat.of().parseHex(d.hash())).hasSize(32);
    }
}
