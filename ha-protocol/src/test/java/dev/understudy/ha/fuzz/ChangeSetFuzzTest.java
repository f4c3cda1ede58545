package dev.understudy.ha.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.common.store.Revision;
import dev.understudy.common.store.StoreOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/**
 * Change-set validation: any JSON the admin API could receive as a change set is either rejected
 * whole with an {@link InvalidChangeException} (revision and hash unchanged, the document untouched)
 * or committed as exactly one new revision; no other exception. Runs the seeds under
 * {@code ChangeSetFuzzTestInputs/} with plain {@code mvn test}; set {@code JAZZER_FUZZ=1} to fuzz.
 */
class ChangeSetFuzzTest {

    private static final String[] OPS = {"put", "delete", "PUT", "", "upsert"};
    private static final String[] COLLECTIONS = {"mappings", "users", "settings", "Mappings", "", "../x"};
    private static final String[] MAPPING_FIELDS = {"listenHost", "listenPort", "backendHost", "backendPort", "description"};

    private static Path dir;
    private static ConfigStore store;

    /** One store for the whole run: commits accumulate, so later inputs meet a non-empty document. */
    private static ConfigStore store() {
        if (store == null) {
            try {
                dir = Files.createTempDirectory("changeset-fuzz");
                // small segments so rolling and snapshots are exercised too
                store = ConfigStore.open(dir, new StoreOptions(50, 1 << 16, 40, 1 << 16));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return store;
    }

    @AfterAll
    static void closeStore() throws IOException {
        if (store != null) {
            store.close();
            store = null;
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @FuzzTest(maxDuration = "60s")
    void validateAndCommit(FuzzedDataProvider data) throws IOException {
        JsonNode body;
        if (data.consumeBoolean()) {
            try {
                body = Json.tree(data.consumeRemainingAsString().getBytes(StandardCharsets.UTF_8));
            } catch (IOException notJson) {
                return; // the admin API answers 400 before a change set exists
            }
        } else {
            body = structured(data);
        }
        ChangeSet changes;
        try {
            changes = Json.mapper().treeToValue(body, ChangeSet.class);
        } catch (IOException | IllegalArgumentException notAChangeSet) {
            return; // 400 "body: not a change set" at the door
        }
        if (changes == null) {
            return;
        }
        ConfigStore s = store();
        Head before = s.head();
        String docBefore = s.<String>read(d -> d.toJson().toString());
        boolean validOnCopy;
        try {
            s.read(d -> d.copy()).validate(changes);
            validOnCopy = true;
        } catch (InvalidChangeException e) {
            assertThat(e.getMessage()).isNotBlank();
            validOnCopy = false;
        }
        try {
            Revision r = s.commit(changes);
            assertThat(validOnCopy).as("commit accepted what validate rejected").isTrue();
            assertThat(r.revision()).isEqualTo(before.revision() + 1);
            assertThat(s.head().revision()).isEqualTo(r.revision());
            assertThat(s.hash()).isEqualTo(r.hash());
        } catch (InvalidChangeException e) {
            assertThat(validOnCopy).as("commit rejected what validate accepted").isFalse();
            assertThat(e.getMessage()).isNotBlank();
            assertThat(s.head()).isEqualTo(before);
            assertThat(s.<String>read(d -> d.toJson().toString())).isEqualTo(docBefore);
        }
    }

    /** A change set shaped like a real one, with fuzzed ops, collections, ids and values. */
    private static JsonNode structured(FuzzedDataProvider data) {
        ObjectNode root = Json.object();
        ArrayNode ops = root.putArray("ops");
        int n = data.consumeInt(0, 5);
        for (int i = 0; i < n; i++) {
            ObjectNode op = ops.addObject();
            op.put("op", data.consumeBoolean() ? OPS[data.consumeInt(0, 1)] : data.pickValue(OPS));
            op.put("collection", data.consumeBoolean() ? COLLECTIONS[data.consumeInt(0, 2)] : data.pickValue(COLLECTIONS));
            op.put("id", data.consumeBoolean() ? "m" + data.consumeInt(0, 5) : data.consumeString(30));
            switch (data.consumeInt(0, 4)) {
                case 0 -> { }
                case 1 -> op.put("value", data.consumeString(40));
                case 2 -> op.put("value", data.consumeLong());
                default -> {
                    ObjectNode v = op.putObject("value");
                    for (String f : MAPPING_FIELDS) {
                        switch (data.consumeInt(0, 5)) {
                            case 0 -> { }
                            case 1 -> v.put(f, data.consumeInt(-2, 70000));
                            case 2 -> v.put(f, data.consumeString(20));
                            case 3 -> v.putNull(f);
                            case 4 -> v.put(f, data.consumeDouble());
                            default -> {
                                if (f.endsWith("Port")) {
                                    v.put(f, 1024 + data.consumeInt(0, 10));
                                } else {
                                    v.put(f, "127.0.0.1");
                                }
                            }
                        }
                    }
                    if (data.consumeInt(0, 9) == 0) {
                        v.put(data.consumeString(8), true);
                    }
                }
            }
            if (data.consumeInt(0, 9) == 0) {
                op.put(data.consumeString(8), 1);
            }
        }
        return root;
    }
}
