package dev.understudy.common.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The most recent revisions, kept in memory (bounded by count and bytes) so a peer that is only a little
 * behind gets {@link ConfigStore#changesSince(long)} instead of a full transfer. Not thread-safe: the store
 * guards it with its lock.
 */
final class Retention {

    private record Retained(Revision revision, int bytes) {}

    private final long maxRecords;
    private final long maxBytes;
    private final ArrayDeque<Retained> retained = new ArrayDeque<>();
    private long bytes;

    Retention(long maxRecords, long maxBytes) {
        this.maxRecords = maxRecords;
        this.maxBytes = maxBytes;
    }

    /** Keeps {@code r} (its journal record is {@code recordBytes} long), dropping the oldest beyond the bounds. */
    void add(Revision r, int recordBytes) {
        retained.addLast(new Retained(r, recordBytes));
        bytes += recordBytes;
        while (retained.size() > maxRecords || bytes > maxBytes) {
            bytes -= retained.removeFirst().bytes();
        }
    }

    /** Forgets the whole history (after a full transfer, or when the journal holding it is damaged). */
    void clear() {
        retained.clear();
        bytes = 0;
    }

    int size() {
        return retained.size();
    }

    /** The oldest retained revision number; {@code ifEmpty} when nothing is retained. */
    long oldestRevision(long ifEmpty) {
        Retained oldest = retained.peekFirst();
        return oldest == null ? ifEmpty : oldest.revision().revision();
    }

    /** The revisions after {@code revision} up to {@code head}, when all of them are retained. */
    Optional<List<Revision>> since(long revision, long head) {
        if (revision >= head) {
            return Optional.of(List.of());
        }
        Retained oldest = retained.peekFirst();
        if (oldest == null || oldest.revision().revision() > revision + 1) {
            return Optional.empty();
        }
        List<Revision> out = new ArrayList<>((int) (head - revision));
        for (Retained r : retained) {
            if (r.revision().revision() > revision) {
                out.add(r.revision());
            }
        }
        return Optional.of(out);
    }

    /** The hash right after {@code revision}, when it is retained. */
    Optional<String> hashAt(long revision) {
        for (Retained r : retained) {
            if (r.revision().revision() == revision) {
                return Optional.of(r.revision().hash());
            }
        }
        return Optional.empty();
    }
}
