package dev.understudy.master.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.config.ConfigDocument;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.common.store.Revision;
import dev.understudy.common.testing.FakeClock;
import dev.understudy.ha.message.Ack;
import dev.understudy.ha.message.Delta;
import dev.understudy.ha.message.Heartbeat;
import dev.understudy.ha.message.Nack;
import dev.understudy.master.replication.ReplicationAction.AckedUpTo;
import dev.understudy.master.replication.ReplicationAction.CaughtUp;
import dev.understudy.master.replication.ReplicationAction.InSyncChanged;
import dev.understudy.master.replication.ReplicationAction.PushFailed;
import dev.understudy.master.replication.ReplicationAction.RaiseAlert;
import dev.understudy.master.replication.ReplicationAction.Send;
import dev.understudy.master.replication.ReplicationAction.SendFullSync;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The master's replication decisions, driven with a fake clock and an in-memory journal. */
class ReplicationSessionTest {

    static final long HB = Duration.ofMillis(100).toNanos();
    static final long REQ = Duration.ofMillis(2000).toNanos();
    static final long MAX_BACKOFF = Duration.ofMillis(800).toNanos();
    static final ReplicationSession.Settings SETTINGS = new ReplicationSession.Settings(HB, REQ, MAX_BACKOFF, 3);

    final FakeClock clock = new FakeClock();
    final Journal journal = new Journal();

    /** Revisions 1..head with hash "h<n>"; revisions at or below {@code oldestBase} are no longer retained. */
    static final class Journal implements ReplicationSource {
        long head;
        long oldestBase;
        ConfigDocument document = new ConfigDocument();

        Journal commit(int n) {
            head += n;
            return this;
        }

        static String hash(long r) {
            return "h" + r;
        }

        @Override
        public Head head() {
            return new Head(head, hash(head));
        }

        @Override
        public Optional<List<Revision>> changesSince(long revision) {
            if (revision < oldestBase || revision > head) {
                return Optional.empty();
            }
            List<Revision> out = new ArrayList<>();
            for (long r = revision + 1; r <= head; r++) {
                out.add(new Revision(r, hash(r), List.of()));
            }
            return Optional.of(out);
        }

        @Override
        public Optional<String> hashAt(long revision) {
            return revision < oldestBase || revision > head ? Optional.empty() : Optional.of(hash(revision));
        }

        @Override
        public ConfigStore.Snapshot snapshot() {
            return new ConfigStore.Snapshot(head, hash(head), document);
        }

        @Override
        public long oldestRetainedBase() {
            return oldestBase;
        }
    }

    long now() {
        return clock.nanoTime();
    }

    ReplicationSession session(long helloRevision, String helloHash) {
        return new ReplicationSession(journal, SETTINGS, "s1", helloRevision, helloHash);
    }

    static <T> List<T> only(List<ReplicationAction> actions, Class<T> type) {
        return actions.stream().filter(type::isInstance).map(type::cast).toList();
    }

    static List<Delta> deltas(List<ReplicationAction> actions) {
        return only(actions, Send.class).stream().map(Send::message).filter(Delta.class::isInstance)
                .map(Delta.class::cast).toList();
    }

    @Test
    void aShadowAtTheMastersHeadIsInSyncAtOnceAndGetsAHeartbeat() {
        journal.commit(5);
        ReplicationSession s = session(5, "h5");
        List<ReplicationAction> out = s.start(false, 3, "ACTIVE_DEGRADED", now());
        assertThat(only(out, InSyncChanged.class)).containsExactly(new InSyncChanged(true));
        assertThat(only(out, CaughtUp.class)).containsExactly(new CaughtUp(5));
        assertThat(only(out, Send.class)).singleElement().satisfies(x -> {
            Heartbeat hb = (Heartbeat) x.message();
            assertThat(hb.epoch()).isEqualTo(3);
            assertThat(hb.revision()).isEqualTo(5);
            assertThat(hb.state()).isEqualTo("ACTIVE_DEGRADED");
        });
        assertThat(s.acked()).isEqualTo(5);
    }

    @Test
    void aShadowBehindOnSharedHistoryGetsChainedDeltaBatchesFromItsRevision() {
        journal.commit(9);
        ReplicationSession s = session(2, "h2");
        assertThat(s.acked()).as("its revision is this master's history").isEqualTo(2);
        List<Delta> d = deltas(s.start(false, 1, "ACTIVE_DEGRADED", now()));
        assertThat(d).hasSize(3);
        assertThat(d).extracting(Delta::baseRevision).containsExactly(2L, 5L, 8L);
        assertThat(d).extracting(Delta::baseHash).containsExactly("h2", "h5", "h8");
        assertThat(d.get(2).changes()).extracting(Revision::revision).containsExactly(9L);
        assertThat(s.sent()).isEqualTo(9);
    }

    @Test
    void aDivergedShadowsHelloRevisionDoesNotCountAsAcknowledged() {
        journal.commit(6);
        ReplicationSession s = session(4, "other-history");
        assertThat(s.acked()).as("a former master's revision 4 is not this master's revision 4").isZero();
        List<ReplicationAction> out = s.start(false, 2, "ACTIVE_DEGRADED", now());
        assertThat(only(out, SendFullSync.class)).singleElement()
                .satisfies(f -> assertThat(f.reason()).contains("different hash").contains("diverged"));
        assertThat(only(out, AckedUpTo.class)).as("no writer is told its write was replicated").isEmpty();
    }

    @Test
    void aShadowAheadOfTheMasterOrOutOfTheJournalOrPairingGetsAFullTransfer() {
        journal.commit(6);
        assertThat(only(session(8, "h8").start(false, 1, "A", now()), SendFullSync.class)).singleElement()
                .satisfies(f -> assertThat(f.reason()).contains("ahead of this master's 6"));
        journal.oldestBase = 3;
        assertThat(only(session(1, "h1").start(false, 1, "A", now()), SendFullSync.class)).singleElement()
                .satisfies(f -> assertThat(f.reason()).contains("no longer holds revision 1").contains("oldest retained base: 3"));
        List<ReplicationAction> pairing = session(6, "h6").start(true, 1, "A", now());
        assertThat(only(pairing, SendFullSync.class)).singleElement().satisfies(f -> {
            assertThat(f.reason()).startsWith("pairing");
            assertThat(f.snapshot().revision()).isEqualTo(6);
        });
        assertThat(only(pairing, InSyncChanged.class)).containsExactly(new InSyncChanged(false));
    }

    @Test
    void anAckCompletesWaitersAndPutsTheShadowInSyncOnceEverythingSentIsAcknowledged() {
        journal.commit(2);
        ReplicationSession s = session(2, "h2");
        s.start(false, 1, "A", now());
        journal.commit(2);
        assertThat(deltas(s.committed(1, now()))).singleElement().satisfies(d -> assertThat(d.baseRevision()).isEqualTo(2));
        journal.commit(1);
        assertThat(deltas(s.committed(1, now()))).singleElement().satisfies(d -> assertThat(d.baseRevision()).isEqualTo(4));

        List<ReplicationAction> partial = s.received(new Ack(1, 4, "h4"), 1, now());
        assertThat(only(partial, AckedUpTo.class)).containsExactly(new AckedUpTo(4));
        assertThat(only(partial, CaughtUp.class)).as("revision 5 is still unacknowledged").isEmpty();

        List<ReplicationAction> all = s.received(new Ack(1, 5, "h5"), 1, now());
        assertThat(only(all, AckedUpTo.class)).containsExactly(new AckedUpTo(5));
        assertThat(only(all, CaughtUp.class)).containsExactly(new CaughtUp(5));
        assertThat(s.acked()).isEqualTo(5);
        assertThat(s.committed(1, now())).as("nothing new to send").isEmpty();
    }

    @Test
    void anUnacknowledgedPushFailsAfterRequestTimeoutAndIsRetriedWithDoublingBackoff() {
        journal.commit(1);
        ReplicationSession s = session(1, "h1");
        s.start(false, 1, "A", now());
        journal.commit(1);
        s.committed(1, now());
        clock.advance(Duration.ofMillis(2000));
        assertThat(only(s.tick(1, "A", now()), PushFailed.class)).as("exactly requestTimeout is not yet late").isEmpty();
        clock.advanceMillis(1);
        List<ReplicationAction> late = s.tick(1, "A", now());
        assertThat(only(late, PushFailed.class)).singleElement()
                .satisfies(p -> assertThat(p.what()).isEqualTo("revision 2 not acknowledged within 2000 ms"));
        assertThat(only(late, InSyncChanged.class)).containsExactly(new InSyncChanged(false));
        assertThat(s.retryAt()).isEqualTo(now() + HB);

        journal.commit(1);
        assertThat(s.committed(1, now())).as("no push while backing off").isEmpty();
        clock.advance(Duration.ofNanos(HB));
        List<Delta> retry = deltas(s.tick(1, "A", now()));
        assertThat(retry).as("resent from the acknowledged revision").singleElement()
                .satisfies(d -> assertThat(d.changes()).extracting(Revision::revision).containsExactly(2L, 3L));

        List<Long> backoffs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofNanos(REQ + 1));
            long failedAt = now();
            assertThat(only(s.tick(1, "A", now()), PushFailed.class)).hasSize(1);
            backoffs.add((s.retryAt() - failedAt) / 1_000_000);
            clock.advance(Duration.ofNanos(s.retryAt() - now()));
            assertThat(deltas(s.tick(1, "A", now()))).hasSize(1);
        }
        assertThat(backoffs).containsExactly(200L, 400L, 800L, 800L, 800L);

        List<ReplicationAction> ok = s.received(new Ack(1, 3, "h3"), 1, now());
        assertThat(only(ok, CaughtUp.class)).containsExactly(new CaughtUp(3));
        assertThat(only(ok, InSyncChanged.class)).containsExactly(new InSyncChanged(true));
        journal.commit(1);
        s.committed(1, now());
        clock.advance(Duration.ofNanos(REQ + 1));
        s.tick(1, "A", now());
        assertThat((s.retryAt() - now()) / 1_000_000).as("a success resets the backoff").isEqualTo(100);
    }

    @Test
    void aNackAskingForAFullTransferIsAFailedPushAndStartsOne() {
        journal.commit(3);
        ReplicationSession s = session(3, "h3");
        s.start(false, 1, "A", now());
        List<ReplicationAction> out = s.received(new Nack(1, "base is not this shadow's head", true, 3, "h3"), 1, now());
        assertThat(only(out, PushFailed.class)).singleElement()
                .satisfies(p -> assertThat(p.what()).isEqualTo("the shadow refused the push: base is not this shadow's head"));
        assertThat(only(out, SendFullSync.class)).singleElement()
                .satisfies(f -> assertThat(f.reason()).startsWith("the shadow asked for it"));
        assertThat(only(out, InSyncChanged.class)).containsExactly(new InSyncChanged(false));

        journal.commit(1);
        assertThat(s.committed(1, now())).as("no delta while the full transfer is in flight").isEmpty();
        List<ReplicationAction> installed = s.received(new Ack(1, 3, "h3"), 1, now());
        assertThat(deltas(installed)).as("after the transfer, what was committed meanwhile follows").singleElement()
                .satisfies(d -> assertThat(d.baseRevision()).isEqualTo(3));
    }

    @Test
    void aHashMismatchIsAnInconsistencyAlertAndAFullResync() {
        journal.commit(4);
        ReplicationSession s = session(4, "h4");
        s.start(false, 1, "A", now());
        List<ReplicationAction> hb = s.received(new Heartbeat(1, 4, "corrupt", 1, "shadow", "STANDBY"), 1, now());
        assertThat(only(hb, RaiseAlert.class)).singleElement().satisfies(a -> {
            assertThat(a.category()).isEqualTo(AlertCategory.CONFIG_INCONSISTENT);
            assertThat(a.message()).contains("Shadow s1").contains("revision 4").contains("full resync");
        });
        assertThat(only(hb, SendFullSync.class)).hasSize(1);
        assertThat(s.received(new Heartbeat(1, 4, "corrupt", 2, "shadow", "STANDBY"), 1, now()))
                .as("while the transfer is in flight the shadow reports its old state").isEmpty();

        List<ReplicationAction> ack = s.received(new Ack(1, 4, "corrupt"), 1, now());
        assertThat(only(ack, RaiseAlert.class)).hasSize(1);
        assertThat(only(ack, CaughtUp.class)).as("a wrong hash is not caught up").isEmpty();
        assertThat(only(s.received(new Ack(1, 4, "h4"), 1, now()), CaughtUp.class)).containsExactly(new CaughtUp(4));
        List<ReplicationAction> good = s.received(new Heartbeat(1, 4, "h4", 3, "shadow", "STANDBY"), 1, now());
        assertThat(good).contains(new ReplicationAction.ResolveAlert(AlertCategory.CONFIG_INCONSISTENT, "shadow"));
    }

    @Test
    void aShadowThatFellOutOfTheJournalDuringBackoffGetsAFullTransferOnRetry() {
        journal.commit(2);
        ReplicationSession s = session(2, "h2");
        s.start(false, 1, "A", now());
        journal.commit(3);
        s.committed(1, now());
        clock.advance(Duration.ofNanos(REQ + 1));
        s.tick(1, "A", now());
        journal.commit(10);
        journal.oldestBase = 6;
        clock.advance(Duration.ofNanos(HB));
        assertThat(only(s.tick(1, "A", now()), SendFullSync.class)).singleElement()
                .satisfies(f -> assertThat(f.reason()).contains("fell behind the journal's retention (at revision 2)"));
    }

    /** Issue #12: a full transfer that progresses is not a failed push; one that stalls, or never ends, is. */
    @Test
    void aFullTransferIsAFailedPushOnlyWhenItStallsOrOutlivesItsSizedDeadline() {
        journal.commit(3);
        for (int i = 0; i < 2 * ReplicationSession.ENTRIES_PER_REQUEST_TIMEOUT; i++) {
            journal.document.put(dev.understudy.common.config.ConfigCollection.SETTINGS, "k" + i,
                    com.fasterxml.jackson.databind.node.TextNode.valueOf("v"));
        }
        ReplicationSession s = session(0, "h0");
        assertThat(only(s.start(true, 1, "ACTIVE_DEGRADED", now()), SendFullSync.class)).hasSize(1);
        // the shadow receives and installs for 2.5 x requestTimeout, heartbeating all along: progress, no failure
        Heartbeat old = new Heartbeat(1, 0, "h0", 1, "shadow", "SYNCING");
        List<ReplicationAction> seen = new ArrayList<>();
        for (long t = 0; t < REQ * 5 / 2; t += HB) {
            clock.advance(Duration.ofNanos(HB));
            seen.addAll(s.received(old, 1, now()));
            seen.addAll(s.tick(1, "ACTIVE_DEGRADED", now()));
        }
        assertThat(only(seen, PushFailed.class)).as("a transfer that progresses").isEmpty();
        // then it goes on heartbeating but never installs: past 3 x requestTimeout (20,000 entries) it has failed
        for (long t = 0; t < REQ; t += HB) {
            clock.advance(Duration.ofNanos(HB));
            seen.addAll(s.received(old, 1, now()));
            seen.addAll(s.tick(1, "ACTIVE_DEGRADED", now()));
        }
        assertThat(only(seen, PushFailed.class)).singleElement()
                .satisfies(f -> assertThat(f.what()).contains("full transfer of revision 3").contains("deadline"));

        // a transfer the shadow goes silent on fails after requestTimeout without progress
        ReplicationSession quiet = session(0, "h0");
        quiet.start(true, 1, "ACTIVE_DEGRADED", now());
        clock.advance(Duration.ofNanos(REQ + HB));
        assertThat(only(quiet.tick(1, "ACTIVE_DEGRADED", now()), PushFailed.class)).singleElement()
                .satisfies(f -> assertThat(f.what()).contains("made no progress for 2000 ms"));
    }
}
