package dev.understudy.common.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.config.ConfigDocument;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot piece of the store: {@code snapshot-<revision>.json} files, each {@code {revision, hash,
 * document}} written atomically; recovery starts from the newest one that is intact.
 */
final class Snapshots {

    private static final Logger log = LoggerFactory.getLogger(ConfigStore.class);

    private Snapshots() {}

    /** The document recovery starts from and its revision (an empty document at 0 without a snapshot). */
    record Loaded(ConfigDocument document, long revision) {}

    /** Loads the newest snapshot whose revision and hash match its content, skipping damaged ones. */
    static Loaded loadNewest(Path dir) throws IOException {
        List<Long> snapshots = StoreFiles.snapshots(dir);
        snapshots.sort(Comparator.reverseOrder());
        for (long rev : snapshots) {
            Path p = StoreFiles.snapshot(dir, rev);
            try {
                JsonNode root = Json.tree(Files.readAllBytes(p));
                ConfigDocument d = ConfigDocument.fromTrustedJson(root.get("document"));
                if (root.path("revision").asLong(-1) != rev || !d.hash().equals(root.path("hash").asText())) {
                    throw new IOException("revision or hash does not match its content");
                }
                return new Loaded(d, rev);
            } catch (IOException | InvalidChangeException | RuntimeException e) {
                log.warn("config snapshot {} is unreadable ({}); trying an older one", p, e.getMessage());
            }
        }
        return new Loaded(new ConfigDocument(), 0);
    }

    static void write(Path dir, ConfigDocument d, long revision) throws IOException {
        ObjectNode root = Json.object();
        root.put("revision", revision);
        root.put("hash", d.hash());
        root.set("document", d.toJson());
        AtomicFiles.write(StoreFiles.snapshot(dir, revision), Json.toBytes(root));
    }

    /** Deletes all but the two newest snapshots; returns the revisions of those kept, newest first. */
    static List<Long> keepTwoNewest(Path dir) throws IOException {
        List<Long> snaps = StoreFiles.snapshots(dir);
        snaps.sort(Comparator.reverseOrder());
        for (int i = 2; i < snaps.size(); i++) {
            Files.deleteIfExists(StoreFiles.snapshot(dir, snaps.get(i)));
        }
        return snaps.subList(0, Math.min(2, snaps.size()));
    }

    /** Deletes every snapshot but the one of {@code revision} (after a full transfer installed it). */
    static void keepOnly(Path dir, long revision) throws IOException {
        for (long old : StoreFiles.snapshots(dir)) {
            if (old != revision) {
                Files.deleteIfExists(StoreFiles.snapshot(dir, old));
            }
        }
    }
}
