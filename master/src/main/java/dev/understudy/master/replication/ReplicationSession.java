package dev.understudy.master.replication;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.common.store.Revision;
import dev.understudy.ha.message.Ack;
import dev.understudy.ha.message.Delta;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Heartbeat;
import dev.understudy.ha.message.Nack;
import dev.understudy.master.replication.ReplicationAction.AckedUpTo;
import dev.understudy.master.replication.ReplicationAction.CaughtUp;
import dev.understudy.master.replication.ReplicationAction.InSyncChanged;
import dev.understudy.master.replication.ReplicationAction.PushFailed;
import dev.understudy.master.replication.ReplicationAction.RaiseAlert;
import dev.understudy.master.replication.ReplicationAction.ResolveAlert;
import dev.understudy.master.replication.ReplicationAction.Send;
import dev.understudy.master.replication.ReplicationAction.SendFullSync;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The master's replication protocol with one connected shadow, sans I/O: the adapter feeds it what
 * happened ({@link #start}, {@link #committed}, {@link #received}, {@link #tick}) with the current
 * epoch, state and ticker time, and carries out the {@link ReplicationAction}s it returns.
 *
 * <pre>
 *  start --(pairing / diverged / out of the journal)--> full transfer in flight --ack--> deltas
 *    |                                                                                   ^   |
 *    +--(shared history)--> deltas: every revision after `sent`, in batches -------------+   |
 *                             unacked for requestTimeout, or NACK --> push failed, backoff --+
 * </pre>
 * In sync means: everything pushed so far is acknowledged, or a heartbeat shows the shadow at the
 * master's (revision, hash). Not thread-safe: one adapter thread drives it; {@link #acked()} may be
 * read from any thread.
 */
public final class ReplicationSession {

    /**
     * @param heartbeatNanos     heartbeat interval; also the first retry backoff
     * @param requestNanos       how long a push may stay unacknowledged before it counts as failed
     * @param maxBackoffNanos    the longest wait between retries
     * @param maxDeltaRevisions  revisions per DELTA message
     */
    public record Settings(long heartbeatNanos, long requestNanos, long maxBackoffNanos, int maxDeltaRevisions) {
        public Settings {
            if (heartbeatNanos <= 0 || requestNanos <= 0 || maxBackoffNanos <= 0 || maxDeltaRevisions <= 0) {
                throw new IllegalArgumentException("replication settings: every value must be > 0");
            }
        }
    }

    /**
     * A full transfer may take requestTimeout per this many entries (about 1.5 MB: a loaded loopback moves that in
     * well under a second) before it is a failed push even while the shadow keeps heartbeating.
     */
    static final int ENTRIES_PER_REQUEST_TIMEOUT = 10_000;

    private final ReplicationSource store;
    private final Settings settings;
    private final String shadow;
    private final long helloRevision;
    private final String helloHash;
    private volatile long acked;
    private long sent;
    private boolean fullSyncInFlight;
    private long oldestUnackedAt = -1;
    /** When the full transfer in flight must be acknowledged at the latest, however much it progresses. */
    private long fullSyncDeadline = -1;
    private long backoffNanos;
    private long retryAt = -1;
    private long seq;
    private Boolean lastInSync;

    /**
     * A session for a shadow whose HELLO said (revision, hash). That revision counts as acknowledged
     * only when it is this master's history: a shadow whose history diverged (a former master) must
     * not make unreplicated writes look replicated.
     */
    public ReplicationSession(ReplicationSource store, Settings settings, String shadowNodeId, long helloRevision,
                              String helloHash) {
        this.store = store;
        this.settings = settings;
        this.shadow = shadowNodeId;
        this.helloRevision = helloRevision;
        this.helloHash = helloHash;
        boolean shared = store.hashAt(helloRevision).map(x -> x.equals(helloHash)).orElse(false);
        this.acked = shared ? helloRevision : 0;
        this.sent = this.acked;
    }

    /** The newest revision the shadow acknowledged (or shares with this master). */
    public long acked() {
        return acked;
    }

    /** The newest revision pushed to the shadow. */
    public long sent() {
        return sent;
    }

    /** Whether the shadow is in sync (null before the first decision). */
    public Boolean inSync() {
        return lastInSync;
    }

    /** When the next retry of a failed push is due, or -1. */
    public long retryAt() {
        return retryAt;
    }

    /** The shadow was admitted: bring it up to date, by deltas when its history is ours, else in full. */
    public List<ReplicationAction> start(boolean pairing, long epoch, String state, long now) {
        List<ReplicationAction> out = new ArrayList<>();
        Head head = store.head();
        if (pairing) {
            fullSync("pairing: a newly attached shadow always gets a full transfer", now, out);
        } else if (helloRevision == head.revision() && head.hash().equals(helloHash)) {
            inSync(true, out);
            out.add(new CaughtUp(helloRevision));
        } else if (helloRevision > head.revision()) {
            fullSync("shadow is at revision " + helloRevision + ", ahead of this master's " + head.revision()
                    + ": its history diverged", now, out);
        } else {
            Optional<String> hashThen = store.hashAt(helloRevision);
            if (hashThen.isEmpty()) {
                fullSync("the journal no longer holds revision " + helloRevision + " (oldest retained base: "
                        + store.oldestRetainedBase() + ")", now, out);
            } else if (!hashThen.get().equals(helloHash)) {
                fullSync("shadow's revision " + helloRevision + " has a different hash: its history diverged", now, out);
            } else {
                pump(epoch, now, out);
            }
        }
        out.add(new Send(heartbeat(epoch, state)));
        return out;
    }

    /** A revision was committed locally: push it. */
    public List<ReplicationAction> committed(long epoch, long now) {
        List<ReplicationAction> out = new ArrayList<>();
        pump(epoch, now, out);
        return out;
    }

    /** Every heartbeatInterval: a heartbeat, the unacknowledged-push deadline, the retry after a backoff. */
    public List<ReplicationAction> tick(long epoch, String state, long now) {
        List<ReplicationAction> out = new ArrayList<>();
        out.add(new Send(heartbeat(epoch, state)));
        if (oldestUnackedAt >= 0 && now - oldestUnackedAt > settings.requestNanos() && retryAt < 0) {
            pushFailed(fullSyncInFlight
                    ? "full transfer of revision " + sent + " made no progress for " + settings.requestNanos() / 1_000_000 + " ms"
                    : "revision " + sent + " not acknowledged within " + settings.requestNanos() / 1_000_000 + " ms",
                    now, out);
        } else if (fullSyncInFlight && retryAt < 0 && fullSyncDeadline >= 0 && now - fullSyncDeadline > 0) {
            // a shadow that keeps talking but never installs (stuck) must still read as a failed push (once: the
            // transfer stays in flight until the shadow acknowledges or refuses it, or the session ends)
            fullSyncDeadline = -1;
            pushFailed("full transfer of revision " + sent + " not acknowledged within its deadline (requestTimeout per "
                    + ENTRIES_PER_REQUEST_TIMEOUT + " entries)", now, out);
        }
        if (retryAt >= 0 && now >= retryAt) {
            retryAt = -1;
            sent = acked;
            oldestUnackedAt = -1;
            pump(epoch, now, out);
        }
        return out;
    }

    /** An ACK, NACK or HEARTBEAT from the shadow; other messages are the adapter's business. */
    public List<ReplicationAction> received(HaMessage msg, long epoch, long now) {
        List<ReplicationAction> out = new ArrayList<>();
        if (msg instanceof Ack a) {
            onAck(a, epoch, now, out);
        } else if (msg instanceof Nack n) {
            fullSyncInFlight = false;
            out.add(new PushFailed("the shadow refused the push: " + n.reason()));
            if (n.needFull()) {
                fullSync("the shadow asked for it: " + n.reason(), now, out);
            }
        } else if (msg instanceof Heartbeat hb) {
            Head head = store.head();
            if (fullSyncInFlight) {
                // the shadow still reports its old state until the transfer is installed; that it talks while it
                // receives and installs is the transfer's progress: the ack deadline counts from here, not the start
                oldestUnackedAt = now;
                return out;
            }
            if (hb.revision() == head.revision()) {
                if (!hb.hash().equals(head.hash())) {
                    inconsistent(hb.revision(), hb.hash(), head.hash(), now, out);
                } else {
                    out.add(new ResolveAlert(AlertCategory.CONFIG_INCONSISTENT, "shadow"));
                    out.add(new CaughtUp(hb.revision()));
                    inSync(true, out);
                }
            }
        }
        return out;
    }

    private void onAck(Ack a, long epoch, long now, List<ReplicationAction> out) {
        boolean wasFull = fullSyncInFlight;
        fullSyncInFlight = false;
        acked = Math.max(acked, a.revision());
        out.add(new AckedUpTo(acked));
        backoffNanos = 0;
        oldestUnackedAt = acked >= sent ? -1 : now;
        String expected = store.hashAt(a.revision()).orElse(null);
        if (expected != null && !expected.equals(a.hash())) {
            inconsistent(a.revision(), a.hash(), expected, now, out);
            return;
        }
        if (acked >= sent) {
            // everything pushed so far is acknowledged: in sync, even under a steady write load
            out.add(new CaughtUp(acked));
            inSync(true, out);
        }
        if (wasFull || acked < store.head().revision()) {
            pump(epoch, now, out);
        }
    }

    private Heartbeat heartbeat(long epoch, String state) {
        Head h = store.head();
        return new Heartbeat(epoch, h.revision(), h.hash(), ++seq, Role.MASTER.wireName(), state);
    }

    private void pushFailed(String what, long now, List<ReplicationAction> out) {
        out.add(new PushFailed(what));
        backoffNanos = backoffNanos == 0 ? settings.heartbeatNanos() : Math.min(backoffNanos * 2, settings.maxBackoffNanos());
        retryAt = now + backoffNanos;
        inSync(false, out);
    }

    /** Sends every revision after {@code sent}, in batches; falls back to a full transfer. */
    private void pump(long epoch, long now, List<ReplicationAction> out) {
        if (fullSyncInFlight || retryAt >= 0) {
            return;
        }
        Head head = store.head();
        if (head.revision() <= sent) {
            return;
        }
        Optional<List<Revision>> changes = store.changesSince(sent);
        if (changes.isEmpty()) {
            fullSync("the shadow fell behind the journal's retention (at revision " + sent + ")", now, out);
            return;
        }
        long base = sent;
        String baseHash = store.hashAt(base).orElse(null);
        if (baseHash == null) {
            fullSync("the journal no longer holds revision " + base, now, out);
            return;
        }
        List<Revision> all = changes.get();
        for (int i = 0; i < all.size(); i += settings.maxDeltaRevisions()) {
            List<Revision> batch = all.subList(i, Math.min(all.size(), i + settings.maxDeltaRevisions()));
            out.add(new Send(new Delta(epoch, base, baseHash, batch)));
            Revision last = batch.get(batch.size() - 1);
            base = last.revision();
            baseHash = last.hash();
        }
        sent = base;
        if (oldestUnackedAt < 0) {
            oldestUnackedAt = now;
        }
    }

    private void fullSync(String reason, long now, List<ReplicationAction> out) {
        ConfigStore.Snapshot snap = store.snapshot();
        out.add(new SendFullSync(snap, reason));
        fullSyncInFlight = true;
        sent = snap.revision();
        oldestUnackedAt = now;
        fullSyncDeadline = now + settings.requestNanos() * (1 + snap.document().size() / ENTRIES_PER_REQUEST_TIMEOUT);
        inSync(false, out);
    }

    private void inconsistent(long revision, String theirs, String ours, long now, List<ReplicationAction> out) {
        out.add(new RaiseAlert(Severity.ERROR, AlertCategory.CONFIG_INCONSISTENT, "shadow",
                "Shadow " + shadow + " has a different configuration at revision " + revision + " (hash "
                        + shorten(theirs) + ", master " + shorten(ours) + "); a full resync was started and repairs"
                        + " it automatically. If this recurs, check the shadow's disk."));
        inSync(false, out);
        if (!fullSyncInFlight) {
            fullSync("config hash mismatch at revision " + revision, now, out);
        }
    }

    private void inSync(boolean now, List<ReplicationAction> out) {
        if (lastInSync == null || lastInSync != now) {
            lastInSync = now;
            out.add(new InSyncChanged(now));
        }
    }

    static String shorten(String h) {
        return h == null ? "null" : h.length() > 12 ? h.substring(0, 12) : h;
    }
}
