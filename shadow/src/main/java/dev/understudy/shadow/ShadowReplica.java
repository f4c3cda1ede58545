package dev.understudy.shadow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.ConfigDocument;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.common.store.Revision;
import dev.understudy.ha.message.Ack;
import dev.understudy.ha.message.Delta;
import dev.understudy.ha.message.FullSync;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Nack;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies what the master pushes to the local store: a DELTA only on top of exactly its base
 * (revision, hash), a FULL_SYNC once every chunk has arrived and the document has the announced
 * hash. Every answer is an ACK of the durable head, or a NACK asking for a full transfer.
 * Not thread-safe: used from the connection's event loop.
 */
public final class ShadowReplica {

    private static final Logger log = LoggerFactory.getLogger(ShadowReplica.class);
    /** Largest full transfer accepted (bytes of snapshot JSON). */
    static final long MAX_FULL_SYNC_BYTES = 1L << 30;

    /**
     * Revisions this node committed that the new master does not have. When some of the revisions to
     * check were no longer retained in this node's journal ({@code unretainedFrom..unretainedTo}, both
     * inclusive; none when {@code unretainedFrom > unretainedTo}), they cannot be judged one by one:
     * {@code differing} then holds every entry whose value here differs from the new master's, so that
     * nothing those revisions changed is dropped unreported.
     */
    public record Orphans(long fromRevision, List<Revision> revisions, long unretainedFrom, long unretainedTo,
            List<EntryDiff> differing) {

        public Orphans(long fromRevision, List<Revision> revisions) {
            this(fromRevision, revisions, 0, -1, List.of());
        }

        public Orphans {
            revisions = List.copyOf(revisions);
            differing = List.copyOf(differing);
        }

        /** Whether some revisions could not be compared one by one. */
        public boolean hasUnretained() {
            return unretainedFrom <= unretainedTo;
        }

        /** Whether there is anything to report. */
        public boolean isEmpty() {
            return revisions.isEmpty() && !hasUnretained();
        }
    }

    /** An entry whose value on this node ({@code local}) differs from the new master's ({@code theirs}); null = absent. */
    public record EntryDiff(String collection, String id, JsonNode local, JsonNode theirs) {}

    /** Progress of a full transfer, for the attach progress bar and status. */
    public interface Progress {
        void update(long receivedBytes, long totalBytes, String reason);
    }

    private final ConfigStore store;
    private final dev.understudy.common.clock.Clock clock;
    private long transferStartNanos;
    private volatile long lastTransferNanos = -1;
    private Progress progress = (r, t, why) -> { };
    private long transferId = -1;
    private volatile boolean installing;
    private int nextChunk;
    private ByteArrayOutputStream transfer;
    private long orphanCheckFrom = -1;
    private java.util.function.Consumer<Orphans> orphanSink = o -> { };
    private LongConsumer installed = r -> { };

    public ShadowReplica(ConfigStore store, dev.understudy.common.clock.Clock clock) {
        this.store = Objects.requireNonNull(store);
        this.clock = Objects.requireNonNull(clock);
    }

    /** How long the last full transfer took from its first chunk to installed, or -1. */
    public long lastTransferNanos() {
        return lastTransferNanos;
    }

    public void onProgress(Progress p) {
        this.progress = p;
    }

    /** Called after a full transfer was installed, with its revision. */
    public void onInstalled(LongConsumer c) {
        this.installed = c;
    }

    /**
     * After this node stepped down from master: revisions after {@code lastAckedRevision} that the
     * new master's configuration does not contain are handed to {@code sink} when its full
     * transfer is installed, so that they are reported instead of silently dropped.
     */
    public void checkOrphansFrom(long lastAckedRevision, java.util.function.Consumer<Orphans> sink) {
        this.orphanCheckFrom = lastAckedRevision;
        this.orphanSink = sink;
    }

    public Head head() {
        return store.head();
    }

    /** Whether a full transfer is being received or installed (the head is about to be replaced). */
    public boolean transferInProgress() {
        return transfer != null || installing;
    }

    /** Marks the install of a complete transfer as running elsewhere (see ShadowRole). */
    void installing(boolean now) {
        installing = now;
    }

    /** Applies a delta durably; returns the answer for the master. */
    public HaMessage onDelta(Delta d, long epoch) {
        HaMessage reply = onDeltaDeferred(d, epoch);
        try {
            Head durable = store.sync();
            return reply instanceof Ack ? new Ack(epoch, durable.revision(), durable.hash()) : reply;
        } catch (IOException e) {
            Head now = store.head();
            return new Nack(epoch, "local store failure: " + e.getMessage(), false, now.revision(), now.hash());
        }
    }

    /** Makes what deferred deltas applied durable; returns the head to acknowledge. */
    public Head sync() throws IOException {
        return store.sync();
    }

    /**
     * Applies a delta without waiting for the disk: an ACK it returns may be sent only after
     * {@link #sync()}. A NACK may be sent at once.
     */
    public HaMessage onDeltaDeferred(Delta d, long epoch) {
        Head h = store.head();
        if (d.changes().isEmpty()) {
            return new Ack(epoch, h.revision(), h.hash());
        }
        if (d.baseRevision() != h.revision() || !d.baseHash().equals(h.hash())) {
            // a delta whose revisions this node already has (a resend after a lost ack) is acknowledged as is
            long last = d.changes().get(d.changes().size() - 1).revision();
            if (last <= h.revision() && containsHead(d, h)) {
                return new Ack(epoch, h.revision(), h.hash());
            }
            return new Nack(epoch, "base (" + d.baseRevision() + ", " + shortHash(d.baseHash()) + ") is not this shadow's head ("
                    + h.revision() + ", " + shortHash(h.hash()) + ")", true, h.revision(), h.hash());
        }
        try {
            store.applyReplicatedDeferred(d.changes());
        } catch (InvalidChangeException e) {
            Head now = store.head();
            log.warn("cannot apply a revision from the master: {}; asking for a full transfer", e.getMessage());
            return new Nack(epoch, e.getMessage(), true, now.revision(), now.hash());
        } catch (IOException e) {
            Head now = store.head();
            log.error("cannot store revisions from the master: {}", e.getMessage());
            return new Nack(epoch, "local store failure: " + e.getMessage(), false, now.revision(), now.hash());
        }
        Head now = store.head();
        return new Ack(epoch, now.revision(), now.hash());
    }

    private static boolean containsHead(Delta d, Head h) {
        if (d.baseRevision() == h.revision() && d.baseHash().equals(h.hash())) {
            return true;
        }
        for (Revision r : d.changes()) {
            if (r.revision() == h.revision() && r.hash().equals(h.hash())) {
                return true;
            }
        }
        return false;
    }

    /** Takes one chunk of a full transfer; returns the answer once complete (or on error), else null. */
    public HaMessage onFullSync(FullSync c, long epoch) {
        if (c.chunk() == 0) {
            if (c.totalBytes() < 0 || c.totalBytes() > MAX_FULL_SYNC_BYTES || c.chunks() < 1) {
                return nack(epoch, "full transfer of " + c.totalBytes() + " bytes in " + c.chunks() + " chunks refused");
            }
            transferId = c.transferId();
            transferStartNanos = clock.nanoTime();
            nextChunk = 0;
            transfer = new ByteArrayOutputStream((int) Math.min(c.totalBytes(), 64L << 20));
            log.info("full transfer {} from the master: revision {}, {} bytes ({})", c.transferId(), c.revision(),
                    c.totalBytes(), c.reason());
        }
        if (transfer == null || c.transferId() != transferId || c.chunk() != nextChunk) {
            transfer = null;
            return nack(epoch, "full transfer chunk " + c.chunk() + " of transfer " + c.transferId() + " out of order");
        }
        byte[] data = c.data() == null ? new byte[0] : c.data();
        if (transfer.size() + (long) data.length > c.totalBytes()) {
            transfer = null;
            return nack(epoch, "full transfer larger than announced (" + c.totalBytes() + " bytes)");
        }
        transfer.write(data, 0, data.length);
        nextChunk++;
        progress.update(transfer.size(), c.totalBytes(), c.reason());
        if (!c.last()) {
            return null;
        }
        byte[] all = transfer.toByteArray();
        transfer = null;
        ConfigDocument doc;
        try {
            doc = ConfigDocument.fromJson(Json.tree(all));
        } catch (IOException | InvalidChangeException e) {
            return nack(epoch, "full transfer is not a valid configuration: " + e.getMessage());
        }
        if (!doc.hash().equals(c.hash())) {
            return nack(epoch, "full transfer hash " + shortHash(doc.hash()) + " differs from the announced " + shortHash(c.hash()));
        }
        reportOrphans(doc);
        try {
            store.install(doc, c.revision());
        } catch (IOException e) {
            log.error("cannot install the full transfer: {}", e.getMessage());
            Head h = store.head();
            return new Nack(epoch, "local store failure: " + e.getMessage(), false, h.revision(), h.hash());
        }
        lastTransferNanos = clock.nanoTime() - transferStartNanos;
        installed.accept(c.revision());
        Head h = store.head();
        log.info("full transfer installed: revision {}, {} entries", h.revision(), doc.size());
        return new Ack(epoch, h.revision(), h.hash());
    }

    private void reportOrphans(ConfigDocument incoming) {
        if (orphanCheckFrom < 0) {
            return;
        }
        long checkFrom = orphanCheckFrom;
        orphanCheckFrom = -1;
        long base = store.oldestRetainedBase();
        List<Revision> retained = store.changesSince(Math.max(checkFrom, base)).orElse(List.of());
        Orphans o = store.read(local -> orphansOf(checkFrom, base, retained, local, incoming));
        if (!o.isEmpty()) {
            orphanSink.accept(o);
        }
    }

    /**
     * What of this node's revisions after {@code checkFrom} the new master's document {@code incoming}
     * lacks. {@code retained} are the revisions after {@code max(checkFrom, oldestRetainedBase)}; those
     * between {@code checkFrom} and {@code oldestRetainedBase} are no longer retained and are covered
     * by the entries that differ.
     */
    static Orphans orphansOf(long checkFrom, long oldestRetainedBase, List<Revision> retained, ConfigDocument local,
            ConfigDocument incoming) {
        long from = Math.max(checkFrom, oldestRetainedBase);
        List<Revision> orphaned = new ArrayList<>();
        for (Revision r : retained) {
            if (!netEffectPresent(r, local, incoming)) {
                orphaned.add(r);
            }
        }
        if (from == checkFrom) {
            return new Orphans(from, orphaned);
        }
        List<EntryDiff> differing = differing(local, incoming);
        if (differing.isEmpty()) {
            // whatever the unretained revisions did, this node's configuration equals the new master's
            return new Orphans(from, orphaned);
        }
        return new Orphans(from, orphaned, checkFrom + 1, from, differing);
    }

    /** Every entry whose value differs between the two documents, in collection and id order. */
    static List<EntryDiff> differing(ConfigDocument local, ConfigDocument incoming) {
        List<EntryDiff> out = new ArrayList<>();
        for (ConfigCollection c : ConfigCollection.values()) {
            java.util.SortedSet<String> ids = new java.util.TreeSet<>(local.entries(c).keySet());
            ids.addAll(incoming.entries(c).keySet());
            for (String id : ids) {
                JsonNode mine = local.get(c, id);
                JsonNode theirs = incoming.get(c, id);
                if (!Objects.equals(mine, theirs)) {
                    out.add(new EntryDiff(c.wireName(), id, mine == null ? null : mine.deepCopy(),
                            theirs == null ? null : theirs.deepCopy()));
                }
            }
        }
        return out;
    }

    /**
     * Whether what {@code r} changed survives in {@code incoming}: for each entry it touched, the
     * value this node ended up with equals the new master's. (A later local revision that
     * overwrote it is judged by its own effect.)
     */
    static boolean netEffectPresent(Revision r, ConfigDocument local, ConfigDocument incoming) {
        for (ChangeOp op : r.ops()) {
            ConfigCollection c = ConfigCollection.of(op.collection());
            JsonNode mine = local.get(c, op.id());
            JsonNode theirs = incoming.get(c, op.id());
            if (mine == null ? theirs != null : !mine.equals(theirs)) {
                return false;
            }
        }
        return true;
    }

    private Nack nack(long epoch, String reason) {
        Head h = store.head();
        log.warn("{}; asking for a full transfer", reason);
        return new Nack(epoch, reason, true, h.revision(), h.hash());
    }

    static String shortHash(String h) {
        return h == null ? "null" : h.length() > 12 ? h.substring(0, 12) : h;
    }
}
