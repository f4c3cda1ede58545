package dev.understudy.common.home;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The durable role state, {@code state.json}: written atomically (tmp + fsync + rename + dir fsync)
 * before a node acts on it — an epoch is on disk before the node serves in it.
 *
 * @param epoch             the highest epoch this node has seen or created
 * @param role              the role this node holds in that epoch
 * @param lastAckedRevision the newest revision the peer acknowledged (master) or applied (shadow)
 */
public record NodeState(
        @JsonProperty("epoch") long epoch,
        @JsonProperty("role") Role role,
        @JsonProperty("lastAckedRevision") long lastAckedRevision) {

    public NodeState {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch: " + epoch + " (expected: >= 0)");
        }
        if (role == null) {
            throw new IllegalArgumentException("role: missing (expected: master or shadow)");
        }
    }

    public NodeState withEpochRole(long e, Role r) {
        return new NodeState(e, r, lastAckedRevision);
    }

    public NodeState withLastAcked(long rev) {
        return new NodeState(epoch, role, rev);
    }

    public static NodeState load(Path file) throws IOException {
        try {
            NodeState s = Json.read(Files.readAllBytes(file), NodeState.class);
            if (s == null) {
                throw new IOException("empty or null (expected: a JSON object with epoch, role, lastAckedRevision)");
            }
            return s;
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(file + ": " + Json.describe(e)
                    + " (the node's epoch and role are unknown; restore the file or run `understudy reset`)", e);
        }
    }

    public void save(Path file) throws IOException {
        AtomicFiles.write(file, Json.toBytes(this));
    }
}
