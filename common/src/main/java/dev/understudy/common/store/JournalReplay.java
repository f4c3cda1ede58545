package dev.understudy.common.store;

import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigDocument;
import dev.understudy.common.config.InvalidChangeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal piece of recovery: replays the segments' intact records after the snapshot onto its document,
 * checking each record's hash; truncates a torn tail and drops a history that does not continue the snapshot's.
 * Records the snapshot already holds only refill the retained history.
 */
final class JournalReplay {

    private static final Logger log = LoggerFactory.getLogger(ConfigStore.class);

    private JournalReplay() {}

    /**
     * Where replay ended.
     *
     * @param revision       the last revision applied (the snapshot's when no record follows it)
     * @param position       bytes kept over all segments (the logical end of the journal)
     * @param segmentFirst   first revision of the segment to append to
     * @param segmentRecords records in that segment
     * @param segmentBytes   its length in bytes
     */
    record Replayed(long revision, long position, long segmentFirst, long segmentRecords, long segmentBytes) {}

    /** Applies the journal of {@code dir} to {@code doc} (at {@code snapshotRevision}), refilling {@code retention}. */
    static Replayed replay(Path dir, ConfigDocument doc, long snapshotRevision, Retention retention) throws IOException {
        long revision = snapshotRevision;
        List<Long> segments = StoreFiles.segments(dir);
        segments.sort(Comparator.naturalOrder());
        long position = 0;
        long segmentFirst = revision + 1;
        long segmentRecords = 0;
        long segmentBytes = 0;
        for (int i = 0; i < segments.size(); i++) {
            long first = segments.get(i);
            boolean last = i == segments.size() - 1;
            Path p = StoreFiles.segment(dir, first);
            ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(p));
            long records = 0;
            boolean stop = false;
            while (buf.hasRemaining()) {
                int at = buf.position();
                Revision r;
                try {
                    r = JournalCodec.decode(buf);
                } catch (StoreCorruptException e) {
                    throw new StoreCorruptException(p + ": " + e.getMessage(), e);
                }
                if (r == null) {
                    if (!last && segments.get(i + 1) - 1 <= snapshotRevision) {
                        // every revision of this segment is in the snapshot: only the retained history is lost
                        log.warn("config journal {}: damaged record at byte {} in a closed segment whose revisions are"
                                + " all in snapshot {}; skipping the rest of it (peers behind it get a full sync)",
                                p, at, snapshotRevision);
                        retention.clear();
                        buf.limit(at);
                        break;
                    }
                    if (!last) {
                        throw new StoreCorruptException(p + ": damaged record at byte " + at + " in a closed journal segment;"
                                + " committed revisions after it cannot be read. On a shadow, run `understudy reset` and"
                                + " attach again; on a master, restore from the shadow or move the file away to start"
                                + " from revision " + revision + ".");
                    }
                    log.warn("config journal {}: torn tail at byte {} ({} bytes) truncated; last intact revision is {}",
                            p, at, buf.limit() - at, revision);
                    StoreFiles.truncate(p, at);
                    buf.limit(at);
                    break;
                }
                records++;
                if (r.revision() <= snapshotRevision) {
                    retention.add(r, buf.position() - at);
                    continue;
                }
                if (r.revision() != revision + 1) {
                    if (r.revision() <= revision) {
                        continue; // already covered
                    }
                    throw new StoreCorruptException(p + ": revision " + r.revision() + " follows " + revision
                            + " (a gap); the journal is incomplete. Move config/ away and restore from the peer.");
                }
                if (!applies(p, at, r, doc)) {
                    // a record from an older history (e.g. before a full resync): nothing after it belongs to us
                    log.warn("config journal {}: revision {} does not match the snapshot's history; dropping it and"
                            + " the {} bytes after it", p, r.revision(), buf.limit() - at);
                    StoreFiles.truncate(p, at);
                    buf.limit(at);
                    stop = true;
                    break;
                }
                revision = r.revision();
                retention.add(r, buf.position() - at);
            }
            position += buf.limit();
            if (last || stop) {
                segmentFirst = first;
                segmentRecords = records;
                segmentBytes = buf.limit();
            }
            if (stop) {
                for (int j = i + 1; j < segments.size(); j++) {
                    Files.deleteIfExists(StoreFiles.segment(dir, segments.get(j)));
                }
                break;
            }
        }
        return new Replayed(revision, position, segmentFirst, segmentRecords, segmentBytes);
    }

    /**
     * Applies {@code r} to {@code doc} when it is a valid change of it that yields its recorded hash; otherwise
     * leaves {@code doc} as it was and returns false.
     */
    private static boolean applies(Path p, int at, Revision r, ConfigDocument doc) throws StoreCorruptException {
        boolean valid;
        try {
            // every record was validated against this very document when it was committed; one that no
            // longer validates was not written on top of it (and applying it could corrupt the document)
            doc.validate(new ChangeSet(r.ops()));
            valid = true;
        } catch (InvalidChangeException e) {
            valid = false;
            log.warn("config journal {}: revision {} is not a valid change of the recovered document ({})",
                    p, r.revision(), e.getMessage());
        }
        ConfigDocument.Undo undo;
        try {
            undo = valid ? doc.applyWithUndo(new ChangeSet(r.ops())) : () -> { };
        } catch (RuntimeException e) {
            // the checksum admitted it, but its ops cannot be applied: not a torn write, and not ours
            throw new StoreCorruptException(p + ": record at byte " + at + " (revision " + r.revision()
                    + ") has a valid checksum but ops that cannot be applied (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); it was written by different"
                    + " software. Run the version that wrote it, or move config/ away and restore from the peer.", e);
        }
        if (!valid || !doc.hash().equals(r.hash())) {
            undo.revert();
            return false;
        }
        return true;
    }
}
