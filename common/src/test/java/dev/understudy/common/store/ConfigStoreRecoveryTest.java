package dev.understudy.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.ConfigDocument;
import dev.understudy.common.config.ConfigHash;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash recovery of {@link ConfigStore}: a journal cut or damaged at every interesting offset opens
 * at exactly the last intact revision, and the store keeps working after it.
 */
class ConfigStoreRecoveryTest {

    private static final int N = 12;
    /** Small segments so the journal rolls every 3 records and snapshots are written. */
    private static final StoreOptions ROLLING = new StoreOptions(1_000, 1 << 20, 3, 1 << 20);

    @TempDir
    Path tmp;

    /** heads.get(r) and docs.get(r) are the head and the document JSON at revision r. */
    private final List<Head> heads = new ArrayList<>();
    private final List<JsonNode> docs = new ArrayList<>();
    /** boundaries.get(r) is the journal size after revision r (record r+1 starts there). */
    private final List<Long> boundaries = new ArrayList<>();
    private Path original;
    private int cases;

    @BeforeEach
    void buildJournal() throws Exception {
        original = tmp.resolve("original");
        try (ConfigStore s = ConfigStore.open(original)) {
            record(s);
            for (int i = 1; i <= N; i++) {
                Revision r = s.commit(Changes.nth(i));
                assertThat(r.revision()).isEqualTo(i);
                record(s);
            }
        }
        assertThat(Changes.names(original)).containsExactly("journal-1.log");
    }

    private void record(ConfigStore s) throws IOException {
        heads.add(s.head());
        docs.add(s.snapshot().document().toJson());
        Path j = s.directory().resolve("journal-1.log");
        boundaries.add(Files.exists(j) ? Files.size(j) : 0L);
    }

    private Path caseDir(Path from) throws IOException {
        return Changes.copyDir(from, tmp.resolve("case-" + cases++));
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private static void flipByte(Path file, long at) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[(int) at] ^= (byte) 0xA5;
        Files.write(file, b);
    }

    /** Opens dir, expects revision {@code expected}, then checks a new commit gets the next revision and survives a reopen. */
    private void assertRecoversTo(Path dir, int expected, String what) throws Exception {
        Path journal = dir.resolve("journal-1.log");
        try (ConfigStore s = ConfigStore.open(dir)) {
            assertThat(s.head()).as(what).isEqualTo(heads.get(expected));
            assertThat(s.durableHead()).as(what).isEqualTo(heads.get(expected));
            assertThat(s.snapshot().document().toJson()).as(what).isEqualTo(docs.get(expected));
            assertThat(Files.size(journal)).as(what + ": journal cut to the intact prefix").isEqualTo(boundaries.get(expected));
            Revision next = s.commit(ChangeSet.of(Changes.putSetting("after-crash", what)));
            assertThat(next.revision()).as(what).isEqualTo(expected + 1);
        }
        try (ConfigStore s = ConfigStore.open(dir)) {
            assertThat(s.revision()).as(what + ", reopened").isEqualTo(expected + 1);
            assertThat((Object) s.read(d -> d.get(ConfigCollection.SETTINGS, "after-crash").path("text").asText())).isEqualTo(what);
            ConfigDocument replayed = ConfigDocument.fromJson(s.snapshot().document().toJson());
            assertThat(replayed.hash()).isEqualTo(s.hash());
        }
    }

    @Test
    void truncatedAtEveryBoundaryAndInsideEveryRecordOpensAtTheLastIntactRevision() throws Exception {
        Path journal = original.resolve("journal-1.log");
        for (int k = 0; k < N; k++) {
            long start = boundaries.get(k);
            long end = boundaries.get(k + 1);
            long payload = end - start - JournalCodec.HEADER;
            TreeSet<Long> cuts = new TreeSet<>(List.of(start, start + 1, start + 4, start + 7, start + JournalCodec.HEADER,
                    start + JournalCodec.HEADER + 1, start + JournalCodec.HEADER + payload / 2, end - 1));
            for (long cut : cuts) {
                Path dir = caseDir(original);
                truncate(dir.resolve(journal.getFileName()), cut);
                assertRecoversTo(dir, k, "cut at " + cut + " inside record " + (k + 1));
            }
        }
        assertRecoversTo(caseDir(original), N, "intact journal");
    }

    @Test
    void oneCorruptByteInARecordDropsThatRecordAndEverythingAfterIt() throws Exception {
        for (int k = 0; k < N; k++) {
            long start = boundaries.get(k);
            long end = boundaries.get(k + 1);
            long[] spots = {start, start + 3, start + 5, start + JournalCodec.HEADER, (start + end) / 2, end - 1};
            for (long at : spots) {
                Path dir = caseDir(original);
                flipByte(dir.resolve("journal-1.log"), at);
                assertRecoversTo(dir, k, "byte " + at + " of record " + (k + 1) + " corrupted");
            }
        }
    }

    @Test
    void intactRecordWhoseHashDoesNotFollowFromTheHistoryIsDroppedWithEverythingAfterIt() throws Exception {
        // a record from another history (e.g. written before a full resync): CRC fine, hash check on replay fails
        int k = 6;
        Path dir = caseDir(original);
        Path journal = dir.resolve("journal-1.log");
        byte[] all = Files.readAllBytes(journal);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(all, boundaries.get(k).intValue(), all.length - boundaries.get(k).intValue());
        Revision real = JournalCodec.decode(buf.slice());
        assertThat(real.revision()).isEqualTo(k + 1);
        Revision foreign = new Revision(real.revision(), heads.get(k).hash(), real.ops()); // wrong hash for these ops
        byte[] rewritten = JournalCodec.encode(foreign);
        assertThat(rewritten.length).isEqualTo((int) (boundaries.get(k + 1) - boundaries.get(k)));
        System.arraycopy(rewritten, 0, all, boundaries.get(k).intValue(), rewritten.length);
        Files.write(journal, all);
        assertRecoversTo(dir, k, "record " + (k + 1) + " from another history");
    }

    @Test
    void zeroFilledTailIsTruncated() throws Exception {
        Path dir = caseDir(original);
        Files.write(dir.resolve("journal-1.log"), new byte[8192], StandardOpenOption.APPEND);
        assertRecoversTo(dir, N, "preallocated zeros after the last record");
    }

    @Test
    void garbageTailWithPlausibleLengthIsTruncated() throws Exception {
        Path dir = caseDir(original);
        // a header that promises 100 bytes and a CRC that does not match what follows
        Files.write(dir.resolve("journal-1.log"), new byte[] {0, 0, 0, 100, 1, 2, 3, 4, '{', '}'}, StandardOpenOption.APPEND);
        assertRecoversTo(dir, N, "garbage tail");
    }

    // ------------------------------------------------------------------ segments and snapshots

    /** Commits N change sets with ROLLING options; returns the directory. */
    private Path rollingStore(String name, StoreOptions options) throws Exception {
        Path dir = tmp.resolve(name);
        try (ConfigStore s = ConfigStore.open(dir, options)) {
            for (int i = 1; i <= N; i++) {
                s.commit(Changes.nth(i));
                assertThat(s.head()).isEqualTo(heads.get(i));
            }
        }
        return dir;
    }

    @Test
    void recoversAcrossSegmentRollsAndSnapshots() throws Exception {
        Path dir = rollingStore("rolling", ROLLING);
        // rolls before revisions 4, 7, 10; the two newest snapshots are kept
        assertThat(Changes.names(dir)).contains("snapshot-6.json", "snapshot-9.json", "journal-10.log")
                .doesNotContain("snapshot-3.json");
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            assertThat(s.head()).isEqualTo(heads.get(N));
            assertThat(s.snapshot().document().toJson()).isEqualTo(docs.get(N));
            assertThat(s.changesSince(0).orElseThrow()).extracting(Revision::revision)
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
            s.commit(ChangeSet.of(Changes.putSetting("x", 1)));
        }
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            assertThat(s.revision()).isEqualTo(N + 1);
        }
    }

    @Test
    void snapshotWrittenByARollHoldsExactlyItsRevision() throws Exception {
        Path dir = rollingStore("snapcontent", ROLLING);
        for (int rev : new int[] {6, 9}) {
            JsonNode snap = Json.tree(Files.readAllBytes(dir.resolve("snapshot-" + rev + ".json")));
            assertThat(snap.get("revision").asLong()).isEqualTo(rev);
            assertThat(snap.get("hash").asText()).as("snapshot %d must not contain revision %d", rev, rev + 1)
                    .isEqualTo(heads.get(rev).hash());
            assertThat(snap.get("document")).isEqualTo(docs.get(rev));
        }
    }

    @Test
    void intactRecordThatCannotBeReadRefusesToOpenInsteadOfTruncating() throws Exception {
        Path dir = caseDir(original);
        byte[] payload = "{\"revision\":13,\"hash\":\"x\",\"ops\":[],\"future\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(payload);
        java.nio.ByteBuffer rec = java.nio.ByteBuffer.allocate(JournalCodec.HEADER + payload.length);
        rec.putInt(payload.length).putInt((int) crc.getValue()).put(payload);
        Path journal = dir.resolve("journal-1.log");
        Files.write(journal, rec.array(), StandardOpenOption.APPEND);
        long size = Files.size(journal);
        assertThatThrownBy(() -> ConfigStore.open(dir))
                .isInstanceOf(StoreCorruptException.class)
                .hasMessageContaining("journal-1.log")
                .hasMessageContaining("valid checksum");
        assertThat(Files.size(journal)).as("committed data is not truncated away").isEqualTo(size);
    }

    @Test
    void tornTailOfTheLastSegmentAfterRollsIsTruncated() throws Exception {
        Path dir = rollingStore("rolling-torn", ROLLING);
        Path last = dir.resolve("journal-10.log");
        long size = Files.size(last);
        truncate(last, size - 3); // record 12 torn
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            assertThat(s.head()).isEqualTo(heads.get(N - 1));
            assertThat(s.snapshot().document().toJson()).isEqualTo(docs.get(N - 1));
            assertThat(s.commit(ChangeSet.of(Changes.putSetting("x", 1))).revision()).isEqualTo(N);
        }
    }

    @Test
    void damagedNewestSnapshotFallsBackToTheOlderOne() throws Exception {
        Path dir = rollingStore("snapfall", ROLLING);
        Files.writeString(dir.resolve("snapshot-9.json"), "{\"revision\":9,\"hash\":\"");
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            assertThat(s.head()).isEqualTo(heads.get(N));
            assertThat(s.snapshot().document().toJson()).isEqualTo(docs.get(N));
        }
    }

    @Test
    void snapshotWhoseHashDoesNotMatchItsContentIsNotTrusted() throws Exception {
        Path dir = rollingStore("snapforged", ROLLING);
        JsonNode snap = Json.tree(Files.readAllBytes(dir.resolve("snapshot-9.json")));
        ((com.fasterxml.jackson.databind.node.ObjectNode) snap.get("document").get("settings")).put("injected", 1);
        Files.write(dir.resolve("snapshot-9.json"), Json.toBytes(snap));
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            assertThat(s.head()).isEqualTo(heads.get(N));
            assertThat((Object) s.read(d -> d.get(ConfigCollection.SETTINGS, "injected"))).isNull();
        }
    }

    @Test
    void fallbackSnapshotStillWorksWhenNothingIsRetained() throws Exception {
        // retainedBytes of 1: no record is retained, so only the snapshots decide which segments to keep
        StoreOptions noRetention = new StoreOptions(1_000, 1, 3, 1 << 20);
        Path dir = rollingStore("noretain", noRetention);
        Files.writeString(dir.resolve("snapshot-9.json"), "garbage");
        try (ConfigStore s = ConfigStore.open(dir, noRetention)) {
            assertThat(s.head()).isEqualTo(heads.get(N));
            assertThat(s.snapshot().document().toJson()).isEqualTo(docs.get(N));
            assertThat(s.changesSince(N - 1)).isEmpty();
        }
    }

    @Test
    void damagedRecordInAClosedSegmentThatIsNeededRefusesToOpenAndSaysWhatToDo() throws Exception {
        Path dir = rollingStore("closed-damaged", ROLLING);
        Files.delete(dir.resolve("snapshot-9.json")); // revisions 7..9 now come from journal-7.log only
        Path closed = dir.resolve("journal-7.log");
        flipByte(closed, Files.size(closed) / 2);
        List<String> before = Changes.names(dir);
        assertThatThrownBy(() -> ConfigStore.open(dir, ROLLING))
                .isInstanceOf(StoreCorruptException.class)
                .hasMessageContaining("journal-7.log")
                .hasMessageContaining("closed journal segment")
                .hasMessageContaining("understudy reset")
                .hasMessageContaining("revision 7");
        assertThat(Changes.names(dir)).as("nothing deleted by a refused open").isEqualTo(before);
    }

    @Test
    void damagedRecordInAClosedSegmentCoveredByTheSnapshotOnlyLosesRetainedHistory() throws Exception {
        Path dir = rollingStore("closed-covered", ROLLING);
        Path closed = dir.resolve("journal-7.log");
        flipByte(closed, Files.size(closed) / 2);
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            assertThat(s.head()).isEqualTo(heads.get(N));
            assertThat(s.snapshot().document().toJson()).isEqualTo(docs.get(N));
            assertThat(s.changesSince(6)).as("history through the damage is gone: full sync").isEmpty();
            assertThat(s.changesSince(9).orElseThrow()).extracting(Revision::revision).containsExactly(10L, 11L, 12L);
        }
    }

    @Test
    void gapBetweenSnapshotAndJournalRefusesToOpen() throws Exception {
        Path dir = rollingStore("gap", ROLLING);
        Files.delete(dir.resolve("snapshot-9.json"));
        Files.delete(dir.resolve("journal-7.log"));
        assertThatThrownBy(() -> ConfigStore.open(dir, ROLLING))
                .isInstanceOf(StoreCorruptException.class)
                .hasMessageContaining("gap")
                .hasMessageContaining("restore from the peer");
    }

    // ------------------------------------------------------------------ install

    private ConfigDocument otherDocument() throws Exception {
        ConfigDocument d = new ConfigDocument();
        d.apply(d.validate(ChangeSet.of(Changes.putUser("root"), Changes.putMapping("web", 443), Changes.putSetting("k", "v"))));
        return d;
    }

    @Test
    void installThenReopenThenCommit() throws Exception {
        Path dir = rollingStore("install", ROLLING);
        ConfigDocument other = otherDocument();
        List<Head> seen = new ArrayList<>();
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            s.addListener(seen::add);
            s.install(other, 50);
            assertThat(s.head()).isEqualTo(new Head(50, other.hash()));
            assertThat(s.durableHead()).isEqualTo(new Head(50, other.hash()));
            assertThat(s.changesSince(12)).isEmpty();
            assertThat(s.changesSince(50)).contains(List.of());
        }
        assertThat(seen).containsExactly(new Head(50, other.hash()));
        assertThat(Changes.names(dir)).containsExactly("journal-51.log", "snapshot-50.json");
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            assertThat(s.head()).isEqualTo(new Head(50, other.hash()));
            assertThat(s.snapshot().document().toJson()).isEqualTo(other.toJson());
            assertThat(s.commit(ChangeSet.of(Changes.putSetting("k", "w"))).revision()).isEqualTo(51);
            assertThat(s.changesSince(50).orElseThrow()).extracting(Revision::revision).containsExactly(51L);
        }
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            assertThat(s.revision()).isEqualTo(51);
        }
    }

    @Test
    void installOfAnOlderRevisionReplacesANewerHistory() throws Exception {
        Path dir = rollingStore("install-older", ROLLING);
        ConfigDocument other = otherDocument();
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            s.install(other, 5);
            assertThat(s.commit(ChangeSet.of(Changes.putSetting("k", "w"))).revision()).isEqualTo(6);
        }
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            assertThat(s.revision()).isEqualTo(6);
            assertThat((Object) s.read(d -> d.get(ConfigCollection.MAPPINGS, "web"))).isNotNull();
            assertThat((Object) s.read(d -> d.get(ConfigCollection.MAPPINGS, "m1"))).isNull();
        }
    }

    /**
     * install() deletes the journal, writes the new snapshot, deletes the old snapshots, opens a new
     * segment. A crash after any step must open at a consistent state: the old history at one of its
     * revisions, or the installed document; never a mix.
     */
    @Test
    void crashBetweenInstallStepsLeavesAConsistentState() throws Exception {
        Path before = rollingStore("install-before", ROLLING);
        ConfigDocument other = otherDocument();
        Path after = Changes.copyDir(before, tmp.resolve("install-after"));
        try (ConfigStore s = ConfigStore.open(after, ROLLING)) {
            s.install(other, 50);
        }
        byte[] newSnapshot = Files.readAllBytes(after.resolve("snapshot-50.json"));

        // step 1 done: segments deleted
        Path s1 = caseDir(before);
        for (String n : Changes.names(s1)) {
            if (n.startsWith("journal-")) {
                Files.delete(s1.resolve(n));
            }
        }
        expectConsistent(s1, heads.get(9), docs.get(9));
        // a half-written temporary snapshot from step 2 is ignored
        Path s2a = caseDir(s1);
        Files.write(s2a.resolve(".snapshot-50.json.tmp"), java.util.Arrays.copyOf(newSnapshot, newSnapshot.length / 2));
        expectConsistent(s2a, heads.get(9), docs.get(9));
        // step 2 done: new snapshot in place next to the old ones
        Path s2 = caseDir(s1);
        Files.write(s2.resolve("snapshot-50.json"), newSnapshot);
        expectConsistent(s2, new Head(50, other.hash()), other.toJson());
        // step 3 partly done: one old snapshot deleted
        Path s3 = caseDir(s2);
        Files.delete(s3.resolve("snapshot-9.json"));
        expectConsistent(s3, new Head(50, other.hash()), other.toJson());
        // all done
        expectConsistent(caseDir(after), new Head(50, other.hash()), other.toJson());
    }

    private void expectConsistent(Path state, Head head, JsonNode doc) throws Exception {
        Path dir = caseDir(state); // the state itself stays as the crash left it, for the next step
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            assertThat(s.head()).isEqualTo(head);
            assertThat(s.snapshot().document().toJson()).isEqualTo(doc);
            assertThat(ConfigDocument.fromJson(doc).hash()).isEqualTo(head.hash());
            s.commit(ChangeSet.of(Changes.putSetting("post", "install")));
        }
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            assertThat(s.revision()).isEqualTo(head.revision() + 1);
        }
    }

    // ------------------------------------------------------------------ failures

    @Test
    void failedAppendLeavesNoTraceInTheDocumentAndRefusesFurtherWrites() throws Exception {
        Path dir = tmp.resolve("failing");
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            for (int i = 1; i <= 3; i++) {
                s.commit(Changes.nth(i));
            }
            // the roll before revision 4 writes snapshot-3.json; a non-empty directory there makes it fail
            Files.createDirectories(dir.resolve("snapshot-3.json").resolve("blocker"));
            assertThatThrownBy(() -> s.commit(ChangeSet.of(Changes.putSetting("lost", 1)))).isInstanceOf(IOException.class);
            assertThat(s.head()).isEqualTo(heads.get(3));
            assertThat((Object) s.read(d -> d.get(ConfigCollection.SETTINGS, "lost"))).as("uncommitted change visible").isNull();
            assertThat((Object) s.read(ConfigDocument::hash)).isEqualTo(heads.get(3).hash());
            assertThatThrownBy(() -> s.commit(ChangeSet.of(Changes.putSetting("next", 1))))
                    .isInstanceOf(IOException.class).hasMessageContaining("restart the node");
        }
        Files.delete(dir.resolve("snapshot-3.json").resolve("blocker"));
        Files.delete(dir.resolve("snapshot-3.json"));
        try (ConfigStore s = ConfigStore.open(dir, ROLLING)) {
            assertThat(s.head()).isEqualTo(heads.get(3));
            assertThat(s.commit(ChangeSet.of(Changes.putSetting("next", 1))).revision()).isEqualTo(4);
        }
    }

    @Test
    void emptyStoreOpensAtRevisionZero() throws Exception {
        try (ConfigStore s = ConfigStore.open(tmp.resolve("empty"))) {
            assertThat(s.head()).isEqualTo(new Head(0, ConfigHash.EMPTY));
            assertThat(s.changesSince(0)).contains(List.of());
        }
    }
}
