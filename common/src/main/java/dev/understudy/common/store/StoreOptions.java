package dev.understudy.common.store;

/**
 * Tuning of a {@link ConfigStore}.
 *
 * @param retainedRecords how many recent revisions stay available for incremental pushes
 * @param retainedBytes   how many journal bytes of recent revisions stay available
 * @param segmentRecords  records per journal segment; a snapshot is written when a segment rolls
 * @param segmentBytes    bytes per journal segment before it rolls
 */
public record StoreOptions(long retainedRecords, long retainedBytes, long segmentRecords, long segmentBytes) {

    public StoreOptions {
        check("retainedRecords", retainedRecords);
        check("retainedBytes", retainedBytes);
        check("segmentRecords", segmentRecords);
        check("segmentBytes", segmentBytes);
    }

    private static void check(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: > 0)");
        }
    }

    public static StoreOptions defaults() {
        return new StoreOptions(10_000, 32L << 20, 20_000, 16L << 20);
    }
}
