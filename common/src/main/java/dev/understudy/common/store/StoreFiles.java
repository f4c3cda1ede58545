package dev.understudy.common.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Names of the store's files ({@code snapshot-<revision>.json}, {@code journal-<firstRevision>.log}). */
final class StoreFiles {

    private static final Pattern SNAPSHOT = Pattern.compile("snapshot-(\\d+)\\.json");
    private static final Pattern SEGMENT = Pattern.compile("journal-(\\d+)\\.log");

    private StoreFiles() {}

    static Path snapshot(Path dir, long revision) {
        return dir.resolve("snapshot-" + revision + ".json");
    }

    static Path segment(Path dir, long first) {
        return dir.resolve("journal-" + first + ".log");
    }

    /** Revisions of the snapshots in {@code dir}, in no particular order. */
    static List<Long> snapshots(Path dir) throws IOException {
        return numbered(dir, SNAPSHOT);
    }

    /** First revisions of the journal segments in {@code dir}, in no particular order. */
    static List<Long> segments(Path dir) throws IOException {
        return numbered(dir, SEGMENT);
    }

    static void truncate(Path p, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(size);
            ch.force(true);
        }
    }

    private static List<Long> numbered(Path dir, Pattern pattern) throws IOException {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> {
                Matcher m = pattern.matcher(p.getFileName().toString());
                if (m.matches()) {
                    out.add(Long.parseLong(m.group(1)));
                }
            });
        }
        return out;
    }
}
