package dev.understudy.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.ConfigDocument;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import dev.understudy.common.config.JsonArbitraries;

/**
 * Replaying the journal (reopening the store) gives exactly what applying the same change sets to
 * a fresh document gives; the retained history answers exactly while it lasts.
 */
class ConfigStoreProperties {

    private static final List<String> LISTEN_HOSTS = List.of("0.0.0.0", "10.0.0.1", "10.0.0.2", "::1");
    private static final List<String> BACKEND_HOSTS = List.of("db.internal", "10.1.1.1", "fd00::5", "a-b.example.com", "x");

    @Provide
    Arbitrary<List<ChangeSet>> histories() {
        Arbitrary<Integer> port = Arbitraries.oneOf(Arbitraries.integers().between(1, 65535), Arbitraries.of(80, 443, 8080));
        Arbitrary<ChangeOp> putMapping = Combinators.combine(Arbitraries.integers().between(0, 7),
                Arbitraries.of(LISTEN_HOSTS), port, Arbitraries.of(BACKEND_HOSTS), Arbitraries.integers().between(1, 65535),
                Arbitraries.strings().alpha().ofMaxLength(20).injectNull(0.5))
                .as((id, lh, lp, bh, bp, desc) -> {
                    ObjectNode v = Json.object().put("listenPort", lp).put("backendHost", bh).put("backendPort", bp);
                    if (!lh.equals("0.0.0.0") || lp % 2 == 0) {
                        v.put("listenHost", lh);
                    }
                    if (desc != null) {
                        v.put("description", desc);
                    }
                    return ChangeOp.put(ConfigCollection.MAPPINGS, "m" + id, v);
                });
        Arbitrary<ChangeOp> delMapping = Arbitraries.integers().between(0, 7).map(i -> ChangeOp.delete(ConfigCollection.MAPPINGS, "m" + i));
        Arbitrary<ChangeOp> putSetting = Combinators.combine(Arbitraries.integers().between(0, 4),
                Arbitraries.oneOf(JsonArbitraries.value(3), Arbitraries.strings().ofMaxLength(30).map(s -> (JsonNode) TextNode.valueOf(s))))
                .as((id, v) -> v.isNull() ? ChangeOp.delete(ConfigCollection.SETTINGS, "s" + id)
                        : ChangeOp.put(ConfigCollection.SETTINGS, "s" + id, v));
        Arbitrary<ChangeOp> delSetting = Arbitraries.integers().between(0, 4).map(i -> ChangeOp.delete(ConfigCollection.SETTINGS, "s" + i));
        Arbitrary<ChangeOp> putUser = Arbitraries.integers().between(0, 2).map(i -> Changes.putUser("u" + i));
        Arbitrary<ChangeOp> delUser = Arbitraries.integers().between(0, 2).map(i -> ChangeOp.delete(ConfigCollection.USERS, "u" + i));
        Arbitrary<ChangeOp> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, putMapping), net.jqwik.api.Tuple.of(2, delMapping),
                net.jqwik.api.Tuple.of(4, putSetting), net.jqwik.api.Tuple.of(1, delSetting),
                net.jqwik.api.Tuple.of(2, putUser), net.jqwik.api.Tuple.of(1, delUser));
        return op.list().ofMinSize(1).ofMaxSize(4).map(ChangeSet::new).list().ofMinSize(1).ofMaxSize(25);
    }

    @Provide
    Arbitrary<StoreOptions> options() {
        return Combinators.combine(Arbitraries.longs().between(1, 8), Arbitraries.longs().between(1, 3_000),
                Arbitraries.longs().between(1, 5), Arbitraries.longs().between(100, 4_000))
                .as(StoreOptions::new);
    }

    /** Commits what the model accepts and expects the store to refuse what the model refuses, with the same message. */
    private static List<Revision> commitAll(ConfigStore store, ConfigDocument model, List<ChangeSet> history) throws Exception {
        List<Revision> committed = new ArrayList<>();
        for (ChangeSet cs : history) {
            ChangeSet normalized;
            try {
                normalized = model.validate(cs);
            } catch (InvalidChangeException e) {
                Head before = store.head();
                assertThatThrownBy(() -> store.commit(cs)).isInstanceOf(InvalidChangeException.class).hasMessage(e.getMessage());
                assertThat(store.head()).isEqualTo(before);
                continue;
            }
            model.apply(normalized);
            Revision r = store.commit(cs);
            committed.add(r);
            assertThat(r.revision()).isEqualTo(committed.size());
            assertThat(r.hash()).isEqualTo(model.hash());
        }
        return committed;
    }

    private static void assertSame(ConfigStore store, ConfigDocument model, int revisions) throws Exception {
        assertThat(store.revision()).isEqualTo(revisions);
        assertThat(store.hash()).isEqualTo(model.hash());
        assertThat(store.durableHead()).isEqualTo(store.head());
        JsonNode json = store.snapshot().document().toJson();
        assertThat(Json.canonical(json)).isEqualTo(Json.canonical(model.toJson()));
        assertThat(ConfigDocument.fromJson(json).hash()).isEqualTo(model.hash());
    }

    @Property(tries = 40)
    void replayingTheJournalEqualsApplyingTheChangeSets(@ForAll("histories") List<ChangeSet> history,
                                                       @ForAll("options") StoreOptions options) throws Exception {
        Path dir = Files.createTempDirectory("store-prop");
        try {
            ConfigDocument model = new ConfigDocument();
            int n;
            try (ConfigStore store = ConfigStore.open(dir, options)) {
                n = commitAll(store, model, history).size();
                assertSame(store, model, n);
            }
            try (ConfigStore store = ConfigStore.open(dir, options)) {
                assertSame(store, model, n);
            }
            // and with other options than it was written with (an upgrade that changes tuning)
            try (ConfigStore store = ConfigStore.open(dir, StoreOptions.defaults())) {
                assertSame(store, model, n);
            }
        } finally {
            deleteRecursively(dir);
        }
    }

    @Property(tries = 40)
    void changesSinceAnswersExactlyWhileRetained(@ForAll("histories") List<ChangeSet> history,
                                                 @ForAll("options") StoreOptions options) throws Exception {
        Path dir = Files.createTempDirectory("store-prop");
        try {
            List<Revision> committed;
            try (ConfigStore store = ConfigStore.open(dir, options)) {
                committed = commitAll(store, new ConfigDocument(), history);
                checkRetention(store, committed, options);
            }
            try (ConfigStore store = ConfigStore.open(dir, options)) {
                checkRetention(store, committed, options);
            }
        } finally {
            deleteRecursively(dir);
        }
    }

    private static void checkRetention(ConfigStore store, List<Revision> committed, StoreOptions options) {
        int head = committed.size();
        // the retained window is the longest suffix within both bounds
        int window = 0;
        long bytes = 0;
        for (int i = head - 1; i >= 0; i--) {
            bytes += JournalCodec.encode(committed.get(i)).length;
            if (window + 1 > options.retainedRecords() || bytes > options.retainedBytes()) {
                break;
            }
            window++;
        }
        assertThat(store.retainedRevisions()).isEqualTo(window);
        assertThat(store.oldestRetainedBase()).isEqualTo(head - window);
        for (int r = 0; r <= head + 1; r++) {
            Optional<List<Revision>> since = store.changesSince(r);
            if (r >= head) {
                assertThat(since).as("since %d at head %d", r, head).contains(List.of());
            } else if (r >= head - window) {
                assertThat(since).as("since %d, window %d", r, window).isPresent();
                // canonical bytes: a number read back from disk may be an int where a long was committed
                assertThat(canonical(since.get())).isEqualTo(canonical(committed.subList(r, head)));
            } else {
                assertThat(since).as("since %d fell out of retention (window %d)", r, window).isEmpty();
            }
        }
    }

    @Property(tries = 15)
    void applyReplicatedOnAShadowFollowsTheMasterExactly(@ForAll("histories") List<ChangeSet> history,
                                                        @ForAll @IntRange(min = 1, max = 5) int segmentRecords) throws Exception {
        Path master = Files.createTempDirectory("store-master");
        Path shadow = Files.createTempDirectory("store-shadow");
        StoreOptions options = new StoreOptions(100, 1 << 20, segmentRecords, 1 << 20);
        try {
            List<Revision> committed;
            try (ConfigStore m = ConfigStore.open(master, options)) {
                committed = commitAll(m, new ConfigDocument(), history);
            }
            try (ConfigStore s = ConfigStore.open(shadow, options)) {
                for (Revision r : committed) {
                    Revision forged = new Revision(r.revision(), "f".repeat(64), r.ops());
                    assertThatThrownBy(() -> s.applyReplicated(forged)).isInstanceOf(InvalidChangeException.class)
                            .hasMessageStartingWith("hash: ");
                    Revision skipped = new Revision(r.revision() + 1, r.hash(), r.ops());
                    assertThatThrownBy(() -> s.applyReplicated(skipped)).isInstanceOf(InvalidChangeException.class)
                            .hasMessage("revision: " + (r.revision() + 1) + " (expected: " + r.revision() + ")");
                    s.applyReplicated(r);
                    assertThat(s.head()).isEqualTo(new Head(r.revision(), r.hash()));
                }
            }
            try (ConfigStore s = ConfigStore.open(shadow, options); ConfigStore m = ConfigStore.open(master, options)) {
                assertThat(s.head()).isEqualTo(m.head());
                assertThat(Json.canonical(s.snapshot().document().toJson())).isEqualTo(Json.canonical(m.snapshot().document().toJson()));
            }
        } finally {
            deleteRecursively(master);
            deleteRecursively(shadow);
        }
    }

    private static String canonical(List<Revision> revisions) {
        return new String(Json.canonical(Json.mapper().valueToTree(revisions)), java.nio.charset.StandardCharsets.UTF_8);
    }

    static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
