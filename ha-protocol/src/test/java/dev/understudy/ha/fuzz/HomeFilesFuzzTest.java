package dev.understudy.ha.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.alert.Alert;
import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.NodeState;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.common.testing.FakeClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;

/**
 * The loaders of a node home's files over arbitrary content: each either loads, or fails with the
 * documented exception and a message naming the file ({@code IOException}, {@code StoreCorruptException},
 * {@code IllegalArgumentException} for {@link NodeSettings#fromJson}); alerts.json is moved aside
 * instead. Never a NullPointerException, ClassCastException, OOM or hang. Runs the seeds under
 * {@code HomeFilesFuzzTestInputs/} with plain {@code mvn test}; set {@code JAZZER_FUZZ=1} to fuzz.
 */
class HomeFilesFuzzTest {

    private static Path root;

    private static Path root() {
        if (root == null) {
            try {
                root = Files.createTempDirectory("home-fuzz");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }

    @AfterAll
    static void deleteRoot() throws IOException {
        if (root != null) {
            clean(root);
            Files.deleteIfExists(root);
            root = null;
        }
    }

    private static void clean(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> p.toFile().delete());
        }
    }

    @FuzzTest(maxDuration = "60s")
    void nodeSettings(byte[] content) throws IOException {
        JsonNode tree = null;
        try {
            tree = Json.tree(content);
        } catch (IOException notJson) {
            // loadSettings below must say so
        }
        if (tree != null) {
            try {
                NodeSettings s = NodeSettings.fromJson(tree);
                // what loads, saves and loads back identically
                assertThat(NodeSettings.fromJson(s.toJson())).isEqualTo(s);
                s.describe();
            } catch (IllegalArgumentException e) {
                assertThat(e.getMessage()).isNotBlank();
            }
        }
        NodeHome home = new NodeHome(root());
        Files.write(home.nodeJson(), content);
        try {
            home.loadSettings();
        } catch (IOException e) {
            assertThat(e.getMessage()).startsWith(home.nodeJson().toString() + ": ");
        }
    }

    @FuzzTest(maxDuration = "60s")
    void nodeState(byte[] content) throws IOException {
        Path file = root().resolve("state.json");
        Files.write(file, content);
        try {
            NodeState s = NodeState.load(file);
            s.save(file);
            assertThat(NodeState.load(file)).isEqualTo(s);
        } catch (IOException e) {
            assertThat(e.getMessage()).startsWith(file + ": ").contains("the peer's epoch from `understudy status` on the peer");
        }
    }

    @FuzzTest(maxDuration = "60s")
    void alertStore(byte[] content) throws IOException {
        Path file = root().resolve("alerts.json");
        Files.deleteIfExists(root().resolve("alerts.json.damaged"));
        Files.write(file, content);
        FakeClock clock = new FakeClock();
        AlertStore store = AlertStore.open(file, clock);
        boolean movedAside = Files.exists(root().resolve("alerts.json.damaged"));
        if (movedAside) {
            assertThat(file).doesNotExist();
            assertThat(store.list(true)).isEmpty();
        }
        // whatever was loaded, the store works: lists, raises, resolves, acknowledges, and reloads
        List<Alert> all = store.list(true);
        store.list(false);
        Alert raised = store.raise(Severity.ERROR, AlertCategory.PUSH_FAILED, "fuzz", "push failed; check the peer");
        store.acknowledge(raised.id());
        store.resolve(AlertCategory.PUSH_FAILED, null);
        for (Alert a : all) {
            store.open(a.category(), a.key());
        }
        AlertStore again = AlertStore.open(file, clock);
        assertThat(Files.exists(root().resolve("alerts.json.damaged")))
                .as("a file the store wrote itself is not damaged").isEqualTo(movedAside);
        assertThat(again.list(true)).isEqualTo(store.list(true));
    }

    /**
     * A config directory holding one snapshot and one journal segment of fuzzed content. Journal
     * records can be given valid checksums, so the recovery code behind the CRC check is reached.
     */
    @FuzzTest(maxDuration = "60s")
    void configStore(FuzzedDataProvider data) throws IOException {
        Path dir = root().resolve("config");
        Files.createDirectories(dir);
        clean(dir);
        long snapRev = data.consumeLong(0, 5);
        long segFirst = data.consumeLong(1, 7);
        if (data.consumeBoolean()) {
            Files.write(dir.resolve("snapshot-" + snapRev + ".json"), data.consumeBytes(data.consumeInt(0, 600)));
        }
        ByteBuffer journal = ByteBuffer.allocate(64 * 1024);
        int records = data.consumeInt(0, 4);
        for (int i = 0; i < records && data.remainingBytes() > 0; i++) {
            byte[] payload = data.consumeBoolean()
                    ? data.consumeString(400).getBytes(StandardCharsets.UTF_8)
                    : data.consumeBytes(data.consumeInt(0, 400));
            CRC32C crc = new CRC32C();
            crc.update(payload);
            boolean intact = data.consumeInt(0, 3) != 0;
            journal.putInt(payload.length).putInt(intact ? (int) crc.getValue() : data.consumeInt()).put(payload);
        }
        journal.put(data.consumeRemainingAsBytes());
        byte[] bytes = new byte[journal.position()];
        journal.flip().get(bytes);
        Files.write(dir.resolve("journal-" + segFirst + ".log"), bytes);

        ConfigStore store;
        try {
            store = ConfigStore.open(dir);
        } catch (IOException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        Head opened;
        try {
            opened = store.head();
            store.read(d -> d.toJson());
            store.changesSince(0);
            // a recovered store takes new commits, and they survive a reopen
            store.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "fuzz", Json.mapper().getNodeFactory().textNode("x"))));
            assertThat(store.revision()).isEqualTo(opened.revision() + 1);
        } catch (InvalidChangeException e) {
            throw new AssertionError("a plain settings put was refused after recovery: " + e.getMessage(), e);
        } finally {
            store.close();
        }
        Head committed;
        try (ConfigStore again = ConfigStore.open(dir)) {
            committed = again.head();
        }
        assertThat(committed.revision()).isEqualTo(opened.revision() + 1);
    }
    /**
     * One journal record with a valid checksum and fuzzed JSON content, after a few real records:
     * what the CRC admits must still be checked before it is applied.
     */
    @FuzzTest(maxDuration = "60s")
    void journalRecord(byte[] payload) throws Exception {
        Path dir = root().resolve("journal");
        Files.createDirectories(dir);
        clean(dir);
        Head real;
        try (ConfigStore store = ConfigStore.open(dir)) {
            store.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "a", Json.mapper().getNodeFactory().numberNode(1))));
            store.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.MAPPINGS, "web", Json.tree(
                    "{\"listenPort\":18080,\"backendHost\":\"10.0.0.5\",\"backendPort\":80}"))));
            real = store.head();
        }
        Path journal;
        try (Stream<Path> s = Files.list(dir)) {
            journal = s.filter(p -> p.getFileName().toString().startsWith("journal-")).findFirst().orElseThrow();
        }
        CRC32C crc = new CRC32C();
        crc.update(payload);
        byte[] record = ByteBuffer.allocate(8 + payload.length).putInt(payload.length).putInt((int) crc.getValue())
                .put(payload).array();
        Files.write(journal, record, java.nio.file.StandardOpenOption.APPEND);
        try (ConfigStore store = ConfigStore.open(dir)) {
            // opened: the record was empty (a torn write), or applied as the next revision, or dropped as foreign history
            assertThat(store.revision()).isBetween(real.revision(), real.revision() + 1);
            if (store.revision() == real.revision()) {
                assertThat(store.head()).isEqualTo(real);
            }
        } catch (IOException e) {
            assertThat(e.getMessage()).as("a refusal names the journal file").contains(journal.getFileName().toString());
        }
    }
}
