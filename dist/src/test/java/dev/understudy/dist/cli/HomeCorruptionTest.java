package dev.understudy.dist.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.understudy.common.clock.Clock;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.common.store.StoreOptions;
import dev.understudy.dist.node.NodeRuntime;
import dev.understudy.dist.testing.TestHomes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged node home: a file that makes the node unusable stops {@code understudy run} with one
 * line naming the file and what to do, and the failed start modifies nothing in the home; damage
 * the node can recover from (a torn journal tail, a broken alerts.json) is recovered as documented
 * and the node starts.
 */
class HomeCorruptionTest {

    @TempDir
    Path tmp;

    record Result(int exit, String out, String err) {}

    /** {@code understudy run} in this JVM; only for homes that must fail to start (bounded in time). */
    private static Result runExpectingFailure(Path home) {
        return assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int exit = Main.execute(new CliContext(new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), () -> null), "run", "--home", home.toString());
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }, "understudy run did not fail; it is serving a damaged home");
    }

    private static void assertRefused(Result r, Path file, String... fragments) {
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).startsWith("understudy: ").endsWith("\n").contains(file.toString());
        assertThat(r.err().strip()).as(r.toString()).doesNotContain("\n").doesNotContain("\tat ");
        assertThat(r.err()).as(r.toString()).contains(fragments);
    }

    /** Path -> SHA-256 of every file in the home (directories listed too). */
    private static Map<String, String> fingerprint(Path root) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String key = root.relativize(p).toString();
                if (Files.isDirectory(p)) {
                    m.put(key + "/", "dir");
                } else {
                    try {
                        m.put(key, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
                    } catch (java.security.NoSuchAlgorithmException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return m;
    }

    private NodeHome home(String name) throws IOException {
        return TestHomes.master(tmp.resolve(name), "corrupt-" + name);
    }

    /** A few committed revisions, written by the store itself. */
    private static Head commit(NodeHome home, StoreOptions options, int revisions) throws Exception {
        try (ConfigStore store = ConfigStore.open(home.configDir(), options)) {
            for (int i = 0; i < revisions; i++) {
                store.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "k" + i, Json.mapper().getNodeFactory().numberNode(i))));
            }
            return store.head();
        }
    }

    private static void assertFailedStartChangesNothing(NodeHome home, Path damaged, String... fragments) throws IOException {
        Map<String, String> before = fingerprint(home.root());
        Result r = runExpectingFailure(home.root());
        assertRefused(r, damaged, fragments);
        assertThat(fingerprint(home.root())).isEqualTo(before);
    }

    // ------------------------------------------------------------------ node.json

    @Test
    void nodeJsonNotJson() throws Exception {
        NodeHome h = home("n1");
        Files.writeString(h.nodeJson(), "{\"nodeId\": \"x\", ");
        assertFailedStartChangesNothing(h, h.nodeJson(), "JSON");
    }

    @Test
    void nodeJsonUnknownField() throws Exception {
        NodeHome h = home("n2");
        String json = Files.readString(h.nodeJson()).replaceFirst("\\{", "{\"heartbeatIntervall\": \"100ms\",");
        Files.writeString(h.nodeJson(), json);
        assertFailedStartChangesNothing(h, h.nodeJson(), "heartbeatIntervall: unknown field", "expected: one of");
    }

    @Test
    void nodeJsonBadValue() throws Exception {
        NodeHome h = home("n3");
        Files.writeString(h.nodeJson(), Files.readString(h.nodeJson()).replace("\"200ms\"", "\"fast\""));
        assertFailedStartChangesNothing(h, h.nodeJson(), "heartbeatInterval", "fast");
        NodeHome h2 = home("n3b");
        Files.writeString(h2.nodeJson(), Files.readString(h2.nodeJson()).replaceFirst("\"adminPort\" : 0", "\"adminPort\" : \"x\""));
        assertFailedStartChangesNothing(h2, h2.nodeJson(), "adminPort", "expected: an integer");
    }

    // ------------------------------------------------------------------ state.json

    @Test
    void stateJsonCorrupted() throws Exception {
        for (String content : List.of("{\"epoch\": 1, \"role\"", "null", "{\"epoch\":-3,\"role\":\"master\",\"lastAckedRevision\":0}",
                "{\"epoch\":1,\"role\":\"king\",\"lastAckedRevision\":0}", "")) {
            NodeHome h = home("s" + Integer.toHexString(content.hashCode()));
            Files.writeString(h.stateJson(), content);
            assertFailedStartChangesNothing(h, h.stateJson(), "the peer's epoch from `understudy status` on the peer");
        }
    }

    // ------------------------------------------------------------------ config journal

    @Test
    void tornJournalTailIsTruncatedAndTheNodeStarts() throws Exception {
        NodeHome h = home("j1");
        Head committed = commit(h, StoreOptions.defaults(), 5);
        Path journal;
        try (Stream<Path> s = Files.list(h.configDir())) {
            journal = s.filter(p -> p.getFileName().toString().startsWith("journal-")).sorted().reduce((a, b) -> b).orElseThrow();
        }
        byte[] intact = Files.readAllBytes(journal);
        // a record whose write was cut short: a header promising more bytes than follow
        byte[] torn = java.nio.ByteBuffer.allocate(intact.length + 20).put(intact).putInt(500).putInt(0x12345678)
                .put(new byte[12]).array();
        Files.write(journal, torn);
        Map<String, String> others = fingerprint(h.root());
        NodeRuntime node = NodeRuntime.open(h, Clock.system());
        try {
            node.start();
            assertThat(node.store().head()).isEqualTo(committed);
        } finally {
            node.close();
        }
        assertThat(Files.readAllBytes(journal)).as("torn tail truncated, intact records kept").isEqualTo(intact);
        // the rest of the home: only what a normal start writes may differ
        Map<String, String> after = fingerprint(h.root());
        for (Map.Entry<String, String> e : others.entrySet()) {
            String f = e.getKey();
            if (f.startsWith("config/journal-") || f.equals("node.json") || f.equals("run.json") || f.equals("events.log")) {
                continue;
            }
            assertThat(after.get(f)).as(f).isEqualTo(e.getValue());
        }
    }

    @Test
    void corruptionInAClosedSegmentIsAClearStoreError() throws Exception {
        NodeHome h = home("j2");
        // small segments: several closed ones
        commit(h, new StoreOptions(1000, 1 << 20, 3, 1 << 20), 10);
        List<Path> segments;
        try (Stream<Path> s = Files.list(h.configDir())) {
            segments = s.filter(p -> p.getFileName().toString().startsWith("journal-")).sorted(
                    java.util.Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().replaceAll("\\D", "")))).toList();
        }
        assertThat(segments).hasSizeGreaterThan(2);
        // the snapshots that would cover the closed segments are gone too (e.g. a restore that missed them)
        try (Stream<Path> s = Files.list(h.configDir())) {
            for (Path p : (Iterable<Path>) s.filter(p -> p.getFileName().toString().startsWith("snapshot-"))::iterator) {
                Files.delete(p);
            }
        }
        Path closed = segments.get(0);
        byte[] b = Files.readAllBytes(closed);
        b[12] ^= 0x40; // inside the first record's payload: its CRC no longer matches
        Files.write(closed, b);
        assertFailedStartChangesNothing(h, closed, "closed journal segment", "understudy reset");
    }

    // ------------------------------------------------------------------ alerts.json

    @Test
    void corruptedAlertsAreMovedAsideAndTheNodeStarts() throws Exception {
        NodeHome h = home("a1");
        byte[] garbage = "{\"nextId\": 2, \"alerts\": [{\"id\": \"1\", \"sever".getBytes(StandardCharsets.UTF_8);
        Files.write(h.alertsJson(), garbage);
        NodeRuntime node = NodeRuntime.open(h, Clock.system());
        try {
            node.start();
            assertThat(node.alerts().list(true)).isEmpty();
        } finally {
            node.close();
        }
        Path aside = h.alertsJson().resolveSibling("alerts.json.damaged");
        assertThat(aside).exists();
        assertThat(Files.readAllBytes(aside)).isEqualTo(garbage);
    }
}
