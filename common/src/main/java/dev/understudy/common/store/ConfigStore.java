package dev.understudy.common.store;

import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigDocument;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The crash-safe store of the replicated configuration.
 *
 * <p>On disk ({@code <home>/config/}): {@code snapshot-<revision>.json} files written atomically,
 * and journal segments {@code journal-<firstRevision>.log} of records framed by {@link JournalCodec}.
 * A commit appends one record and returns once it is durable; concurrent commits share one fsync
 * (group commit). Recovery loads the newest valid snapshot and replays intact records after it,
 * checking each record's hash; a torn tail is truncated. A crash at any instant leaves the last
 * committed revision readable.
 *
 * <p>The most recent revisions are retained (bounded by count and bytes) so a peer can be
 * brought up to date with {@link #changesSince(long)} instead of a full transfer.
 *
 * <p>The pieces: {@link Snapshots} (the snapshot files), {@link JournalReplay} (recovery of the journal
 * after the snapshot), {@link Retention} (the retained history), {@link StoreFiles} (file names); this
 * class owns the lock, the segment being appended, group commit and the segment roll.
 */
public final class ConfigStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigStore.class);

    private final Path dir;
    private final StoreOptions options;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Object syncLock = new Object();
    private final List<Consumer<Head>> listeners = new CopyOnWriteArrayList<>();

    // guarded by lock (write): the document, the journal being appended, retention
    private ConfigDocument doc;
    private FileChannel segment;
    private long segmentFirstRevision;
    private long segmentRecords;
    private long segmentBytes;
    private long snapshotRevision;
    private final Retention retained;
    private volatile Head head;

    // logical byte positions across segments, for group commit
    private volatile long writtenPosition;
    private long syncedPosition; // guarded by syncLock
    private volatile Head durableHead;
    private volatile boolean failed;

    private ConfigStore(Path dir, StoreOptions options) {
        this.dir = dir;
        this.options = options;
        this.retained = new Retention(options.retainedRecords(), options.retainedBytes());
    }

    /** Opens (creating if needed) the store in {@code dir}, recovering from any crash. */
    public static ConfigStore open(Path dir, StoreOptions options) throws IOException {
        Files.createDirectories(dir);
        ConfigStore s = new ConfigStore(dir, options);
        s.recover();
        return s;
    }

    public static ConfigStore open(Path dir) throws IOException {
        return open(dir, StoreOptions.defaults());
    }

    // ------------------------------------------------------------------ recovery

    /** Snapshot first, then the journal after it, then the segment to append to. */
    private void recover() throws IOException {
        Snapshots.Loaded snap = Snapshots.loadNewest(dir);
        doc = snap.document();
        snapshotRevision = snap.revision();
        JournalReplay.Replayed j = JournalReplay.replay(dir, doc, snapshotRevision, retained);
        segmentFirstRevision = j.segmentFirst();
        segmentRecords = j.segmentRecords();
        segmentBytes = j.segmentBytes();
        segment = FileChannel.open(segmentPath(segmentFirstRevision),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        AtomicFiles.fsyncDirectory(dir);
        writtenPosition = j.position();
        syncedPosition = j.position();
        head = new Head(j.revision(), doc.hash());
        durableHead = head;
        log.info("config store {} opened at revision {} (snapshot {}, {} entries, {} revisions retained)",
                dir, j.revision(), snapshotRevision, doc.size(), retained.size());
    }

    private Path segmentPath(long first) {
        return StoreFiles.segment(dir, first);
    }

    // ------------------------------------------------------------------ reads

    /** Newest committed revision and hash (may be an instant ahead of {@link #durableHead()}). */
    public Head head() {
        return head;
    }

    /** Newest revision known to be on disk. */
    public Head durableHead() {
        return durableHead;
    }

    public long revision() {
        return head.revision();
    }

    public String hash() {
        return head.hash();
    }

    /** Runs {@code reader} against the current document under the read lock; do not keep references to it. */
    public <T> T read(Function<ConfigDocument, T> reader) {
        lock.readLock().lock();
        try {
            return reader.apply(doc);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The whole document as JSON with the head it belongs to. */
    public Snapshot snapshot() {
        lock.readLock().lock();
        try {
            return new Snapshot(head.revision(), head.hash(), doc.copy());
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A consistent copy of the document at {@code revision}. */
    public record Snapshot(long revision, String hash, ConfigDocument document) {}

    /**
     * The revisions after {@code revision}, oldest first, when every one of them is still retained;
     * empty when {@code revision} is older than the retained history (a full transfer is needed).
     */
    public Optional<List<Revision>> changesSince(long revision) {
        lock.readLock().lock();
        try {
            return retained.since(revision, head.revision());
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The config hash right after {@code revision}, when it is the head or still retained; empty
     * otherwise. Lets the master tell a shadow that is merely behind from one that diverged.
     */
    public Optional<String> hashAt(long revision) {
        lock.readLock().lock();
        try {
            return revision == head.revision() ? Optional.of(head.hash()) : retained.hashAt(revision);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The oldest revision from which {@link #changesSince(long)} can still answer. */
    public long oldestRetainedBase() {
        lock.readLock().lock();
        try {
            long h = head.revision();
            return retained.oldestRevision(h + 1) - 1;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Called with the new head after every durable change (commit, replicated apply, install). */
    public void addListener(Consumer<Head> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<Head> listener) {
        listeners.remove(listener);
    }

    // ------------------------------------------------------------------ writes

    /** Validates and commits {@code changes} as one new revision; returns once it is durable. */
    public Revision commit(ChangeSet changes) throws InvalidChangeException, IOException {
        Revision r;
        long end;
        lock.writeLock().lock();
        try {
            checkUsable();
            ChangeSet normalized = doc.validate(changes);
            ConfigDocument.Undo undo = doc.applyWithUndo(normalized);
            r = new Revision(head.revision() + 1, doc.hash(), normalized.ops());
            end = append(r, normalized, undo);
        } finally {
            lock.writeLock().unlock();
        }
        syncTo(end, r);
        return r;
    }

    /**
     * Applies a revision received from the master. It must directly follow the current one and
     * produce exactly the hash the master computed; otherwise nothing changes and the exception
     * says which check failed.
     */
    public Revision applyReplicated(Revision r) throws InvalidChangeException, IOException {
        applyReplicated(List.of(r));
        return r;
    }

    /**
     * Applies consecutive revisions from the master with one fsync for all of them. Each is
     * checked as {@link #applyReplicated(Revision)} checks one; on the first that fails, the ones
     * before it are kept (and durable) and the exception names the failing one.
     */
    public void applyReplicated(List<Revision> revisions) throws InvalidChangeException, IOException {
        try {
            applyReplicatedDeferred(revisions);
        } finally {
            sync();
        }
    }

    /**
     * Applies consecutive revisions from the master without waiting for the disk; they are durable
     * (and reported to listeners) only after the next {@link #sync()}. Lets a shadow apply every
     * push of one network read with a single fsync, and acknowledge only after it.
     */
    public void applyReplicatedDeferred(List<Revision> revisions) throws InvalidChangeException, IOException {
        for (Revision r : revisions) {
            appendReplicated(r);
        }
    }

    /** Makes everything written so far durable; returns the durable head. */
    public Head sync() throws IOException {
        Head h = head;
        syncTo(writtenPosition, new Revision(h.revision(), h.hash(), List.of()));
        return durableHead;
    }

    private long appendReplicated(Revision r) throws InvalidChangeException, IOException {
        lock.writeLock().lock();
        try {
            checkUsable();
            if (r.revision() != head.revision() + 1) {
                throw new InvalidChangeException("revision: " + r.revision() + " (expected: " + (head.revision() + 1) + ")");
            }
            ChangeSet normalized = doc.validate(new ChangeSet(r.ops()));
            ConfigDocument.Undo undo = doc.applyWithUndo(normalized);
            if (!doc.hash().equals(r.hash())) {
                String got = doc.hash();
                undo.revert();
                throw new InvalidChangeException("hash: " + got + " after revision " + r.revision()
                        + " (expected: " + r.hash() + ")");
            }
            return append(new Revision(r.revision(), r.hash(), normalized.ops()), normalized, undo);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Replaces the whole configuration with {@code document} at {@code revision} (a full transfer).
     * Crash-safe: until the new snapshot is in place the old state remains readable.
     */
    public void install(ConfigDocument document, long revision) throws IOException {
        lock.writeLock().lock();
        try {
            checkUsable();
            segment.close();
            // old segments go first: a crash then leaves an older but consistent state
            for (long first : StoreFiles.segments(dir)) {
                Files.deleteIfExists(segmentPath(first));
            }
            AtomicFiles.fsyncDirectory(dir);
            Snapshots.write(dir, document, revision);
            Snapshots.keepOnly(dir, revision);
            doc = document.copy();
            snapshotRevision = revision;
            retained.clear();
            openSegment(revision + 1);
            head = new Head(revision, doc.hash());
            synchronized (syncLock) {
                syncedPosition = writtenPosition;
                durableHead = head;
            }
        } catch (IOException e) {
            failed = true;
            throw e;
        } finally {
            lock.writeLock().unlock();
        }
        notifyListeners(head);
    }

    private void checkUsable() throws IOException {
        if (failed) {
            throw new IOException("config store " + dir + " had a write failure; restart the node to recover from disk");
        }
        if (segment == null || !segment.isOpen()) {
            throw new IOException("config store " + dir + " is closed");
        }
    }

    /**
     * Appends {@code r}, whose change ({@code undo} takes it back) is already applied to the document,
     * under the write lock; returns the logical end position of the record. On failure the change is
     * taken back: what is not on disk must not be readable either.
     */
    private long append(Revision r, ChangeSet normalized, ConfigDocument.Undo undo) throws IOException {
        byte[] bytes = JournalCodec.encode(r);
        ConfigDocument.Undo applied = undo;
        try {
            if (segmentRecords > 0
                    && (segmentRecords >= options.segmentRecords() || segmentBytes + bytes.length > options.segmentBytes())) {
                // the roll snapshots the document at the head revision, so r must not be in it yet
                undo.revert();
                applied = null;
                roll();
                applied = doc.applyWithUndo(normalized);
            }
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                segment.write(buf);
            }
        } catch (IOException e) {
            failed = true;
            if (applied != null) {
                applied.revert();
            }
            throw e;
        }
        segmentRecords++;
        segmentBytes += bytes.length;
        head = new Head(r.revision(), r.hash());
        retained.add(r, bytes.length);
        writtenPosition += bytes.length;
        return writtenPosition;
    }

    /** Seals the current segment, snapshots the document, starts a new segment, trims old files. */
    private void roll() throws IOException {
        synchronized (syncLock) {
            segment.force(false);
            syncedPosition = writtenPosition;
            durableHead = head;
        }
        segment.close();
        long rev = head.revision();
        Snapshots.write(dir, doc, rev);
        snapshotRevision = rev;
        openSegment(rev + 1);
        trimFiles();
    }

    private void openSegment(long first) throws IOException {
        segment = FileChannel.open(segmentPath(first),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        AtomicFiles.fsyncDirectory(dir);
        segmentFirstRevision = first;
        segmentRecords = 0;
        segmentBytes = 0;
    }

    /** Deletes segments no longer needed for recovery nor retained, and all but the two newest snapshots. */
    private void trimFiles() throws IOException {
        List<Long> snaps = Snapshots.keepTwoNewest(dir);
        long keepFrom = retained.oldestRevision(head.revision() + 1);
        if (snaps.size() > 1) {
            // the older snapshot is the fallback when the newest is damaged: keep the journal from there on
            keepFrom = Math.min(keepFrom, snaps.get(1) + 1);
        }
        List<Long> segs = StoreFiles.segments(dir);
        segs.sort(Comparator.naturalOrder());
        for (int i = 0; i + 1 < segs.size(); i++) {
            long lastInSeg = segs.get(i + 1) - 1;
            if (lastInSeg <= snapshotRevision && lastInSeg < keepFrom) {
                Files.deleteIfExists(segmentPath(segs.get(i)));
            }
        }
    }

    /** Group commit: the first caller to arrive fsyncs everything written so far, on behalf of all. */
    private void syncTo(long position, Revision r) throws IOException {
        Head newHead = null;
        synchronized (syncLock) {
            if (syncedPosition < position) {
                long target = writtenPosition;
                Head h = head;
                try {
                    segment.force(false);
                } catch (IOException e) {
                    failed = true;
                    throw new IOException("config store " + dir + ": fsync failed; revision " + r.revision()
                            + " is not durable and the store refuses further writes until restart", e);
                }
                syncedPosition = target;
                if (h.revision() > durableHead.revision()) {
                    durableHead = h;
                    newHead = h;
                }
            }
        }
        if (newHead != null) {
            notifyListeners(newHead);
        }
    }

    private void notifyListeners(Head h) {
        for (Consumer<Head> l : listeners) {
            try {
                l.accept(h);
            } catch (RuntimeException e) {
                log.error("config listener failed", e);
            }
        }
    }

    /** Size of the retained history in records (for status and metrics). */
    public int retainedRevisions() {
        lock.readLock().lock();
        try {
            return retained.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    public Path directory() {
        return dir;
    }


    @Override
    public void close() throws IOException {
        lock.writeLock().lock();
        try {
            if (segment != null && segment.isOpen()) {
                segment.force(false);
                segment.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
