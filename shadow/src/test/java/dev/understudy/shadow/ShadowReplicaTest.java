package dev.understudy.shadow;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.IntNode;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.ConfigDocument;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.common.store.Revision;
import dev.understudy.common.testing.FakeClock;
import dev.understudy.ha.message.Ack;
import dev.understudy.ha.message.Delta;
import dev.understudy.ha.message.FullSync;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Nack;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShadowReplicaTest {

    @TempDir
    Path dir;
    ConfigStore master;
    ConfigStore shadow;
    ShadowReplica replica;

    @BeforeEach
    void open() throws Exception {
        master = ConfigStore.open(dir.resolve("m"));
        shadow = ConfigStore.open(dir.resolve("s"));
        replica = new ShadowReplica(shadow, new FakeClock());
    }

    @AfterEach
    void close() throws Exception {
        master.close();
        shadow.close();
    }

    Revision commit(String key, int v) throws Exception {
        return master.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, key, IntNode.valueOf(v))));
    }

    @Test
    void deltaOnTheExactBaseIsAppliedDurablyAndAcknowledged() throws Exception {
        Revision r1 = commit("a", 1);
        Revision r2 = commit("b", 2);
        HaMessage reply = replica.onDelta(new Delta(1, 0, shadow.hash(), List.of(r1, r2)), 1);
        assertThat(reply).isEqualTo(new Ack(1, 2, master.hash()));
        assertThat(shadow.durableHead()).isEqualTo(master.head());
    }

    @Test
    void deltaOnAnotherBaseIsRefusedWithAFullTransferRequestAndChangesNothing() throws Exception {
        commit("a", 1);
        Revision r2 = commit("b", 2);
        Head before = shadow.head();
        HaMessage reply = replica.onDelta(new Delta(1, 1, master.hashAt(1).orElseThrow(), List.of(r2)), 1);
        assertThat(reply).isInstanceOf(Nack.class);
        assertThat(((Nack) reply).needFull()).isTrue();
        assertThat(shadow.head()).isEqualTo(before);
    }

    @Test
    void deltaWhoseResultDoesNotMatchTheMastersHashIsRefused() throws Exception {
        Revision r1 = commit("a", 1);
        Revision forged = new Revision(1, "0".repeat(64), r1.ops());
        HaMessage reply = replica.onDelta(new Delta(1, 0, shadow.hash(), List.of(forged)), 1);
        assertThat(reply).isInstanceOf(Nack.class);
        assertThat(shadow.revision()).isZero();
    }

    List<FullSync> chunks(long id, int chunkSize) {
        var snap = master.snapshot();
        byte[] bytes = Json.toBytes(snap.document().toJson());
        int n = (bytes.length + chunkSize - 1) / chunkSize;
        List<FullSync> out = new ArrayList<>();
        for (int c = 0; c < n; c++) {
            out.add(new FullSync(1, id, snap.revision(), snap.hash(), c, n, bytes.length, "test",
                    Arrays.copyOfRange(bytes, c * chunkSize, Math.min(bytes.length, (c + 1) * chunkSize))));
        }
        return out;
    }

    @Test
    void fullTransferIsInstalledOnceEveryChunkArrivedWithProgress() throws Exception {
        for (int i = 0; i < 50; i++) {
            commit("k" + i, i);
        }
        List<long[]> progress = new ArrayList<>();
        replica.onProgress((got, total, why) -> progress.add(new long[] {got, total}));
        List<FullSync> cs = chunks(7, 100);
        assertThat(cs.size()).isGreaterThan(3);
        HaMessage reply = null;
        for (FullSync c : cs) {
            reply = replica.onFullSync(c, 1);
            if (!c.last()) {
                assertThat(reply).isNull();
            }
        }
        assertThat(reply).isEqualTo(new Ack(1, master.revision(), master.hash()));
        assertThat(shadow.head()).isEqualTo(master.head());
        assertThat(progress).hasSize(cs.size());
        assertThat(progress.get(progress.size() - 1)[0]).isEqualTo(progress.get(0)[1]);
    }

    @Test
    void fullTransferChunksOutOfOrderOrWithAWrongHashAreRefused() throws Exception {
        for (int i = 0; i < 20; i++) {
            commit("k" + i, i);
        }
        List<FullSync> cs = chunks(8, 64);
        replica.onFullSync(cs.get(0), 1);
        assertThat(replica.onFullSync(cs.get(2), 1)).isInstanceOf(Nack.class);
        assertThat(shadow.revision()).isZero();

        FullSync only = chunks(9, 1 << 20).get(0);
        FullSync wrongHash = new FullSync(1, 9, only.revision(), "f".repeat(64), 0, 1, only.totalBytes(), "t", only.data());
        assertThat(replica.onFullSync(wrongHash, 1)).isInstanceOf(Nack.class);
        assertThat(shadow.revision()).isZero();
    }

    @Test
    void aFormerMastersChangesTheNewMasterLacksAreReportedNotDropped() throws Exception {
        // this node (as master) committed y=1 that never reached its successor, and x=1 that did
        shadow.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "x", IntNode.valueOf(1))));
        shadow.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "y", IntNode.valueOf(1))));
        commit("x", 1);
        commit("z", 3);
        List<ShadowReplica.Orphans> reported = new ArrayList<>();
        replica.checkOrphansFrom(0, reported::add);
        HaMessage reply = null;
        for (FullSync c : chunks(10, 1 << 20)) {
            reply = replica.onFullSync(c, 2);
        }
        assertThat(reply).isInstanceOf(Ack.class);
        assertThat(reported).singleElement().satisfies(o ->
                assertThat(o.revisions()).extracting(Revision::revision).containsExactly(2L));
        ConfigDocument now = shadow.snapshot().document();
        assertThat(now.get(ConfigCollection.SETTINGS, "y")).isNull();
    }

    @Test
    void aFormerMastersChangesThatLeftItsJournalAreStillReportedAsDifferingEntries() throws Exception {
        // this node keeps only its last 2 revisions; as master it committed y, w and v that never reached its
        // successor, so revision 1 (y) can no longer be judged one by one
        try (ConfigStore small = ConfigStore.open(dir.resolve("small"),
                new dev.understudy.common.store.StoreOptions(2, 1L << 20, 20_000, 16L << 20))) {
            small.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "y", IntNode.valueOf(1))));
            small.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "w", IntNode.valueOf(2))));
            small.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "v", IntNode.valueOf(3))));
            assertThat(small.oldestRetainedBase()).isEqualTo(1);
            commit("x", 1);
            ShadowReplica former = new ShadowReplica(small, new FakeClock());
            List<ShadowReplica.Orphans> reported = new ArrayList<>();
            former.checkOrphansFrom(0, reported::add);
            HaMessage reply = null;
            for (FullSync c : chunks(10, 1 << 20)) {
                reply = former.onFullSync(c, 2);
            }
            assertThat(reply).isInstanceOf(Ack.class);
            assertThat(reported).singleElement().satisfies(o -> {
                assertThat(o.revisions()).extracting(Revision::revision).containsExactly(2L, 3L);
                assertThat(o.hasUnretained()).isTrue();
                assertThat(o.unretainedFrom()).isEqualTo(1);
                assertThat(o.unretainedTo()).isEqualTo(1);
                assertThat(o.differing()).extracting(ShadowReplica.EntryDiff::id).containsExactly("v", "w", "x", "y");
                assertThat(o.differing().get(3).local()).isEqualTo(IntNode.valueOf(1));
                assertThat(o.differing().get(3).theirs()).isNull();
            });
        }
    }

    @Test
    void unretainedRevisionsAreNotReportedWhenTheConfigurationsAgree() throws Exception {
        try (ConfigStore small = ConfigStore.open(dir.resolve("small"),
                new dev.understudy.common.store.StoreOptions(1, 1L << 20, 20_000, 16L << 20))) {
            small.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "a", IntNode.valueOf(1))));
            small.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "b", IntNode.valueOf(2))));
            commit("a", 1);
            commit("b", 2);
            ShadowReplica former = new ShadowReplica(small, new FakeClock());
            List<ShadowReplica.Orphans> reported = new ArrayList<>();
            former.checkOrphansFrom(0, reported::add);
            for (FullSync c : chunks(10, 1 << 20)) {
                former.onFullSync(c, 2);
            }
            assertThat(reported).isEmpty();
        }
    }
}
