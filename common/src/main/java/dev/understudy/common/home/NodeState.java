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
 * @param orphanCheckFrom   set when this node stepped down from master: its revisions after this one that
 *                          the new master lacks must be reported as orphaned at the next full transfer,
 *                          even if the node restarts before it; null when there is nothing to check
 */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public record NodeState(
        @JsonProperty("epoch") long epoch,
        @JsonProperty("role") Role role,
        @JsonProperty("lastAckedRevision") long lastAckedRevision,
        @JsonProperty("orphanCheckFrom") Long orphanCheckFrom) {

    public NodeState(long epoch, Role role, long lastAckedRevision) {
        this(epoch, role, lastAckedRevision, null);
    }

    public NodeState {
        if (!Epochs.inRange(epoch)) {
            throw new IllegalArgumentException(Epochs.outOfRange(epoch));
        }
        if (role == null) {
            throw new IllegalArgumentException("role: missing (expected: master or shadow)");
        }
    }

    public NodeState withEpochRole(long e, Role r) {
        return new NodeState(e, r, lastAckedRevision, orphanCheckFrom);
    }

    public NodeState withLastAcked(long rev) {
        return new NodeState(epoch, role, rev, orphanCheckFrom);
    }

    public NodeState withOrphanCheckFrom(Long rev) {
        return new NodeState(epoch, role, lastAckedRevision, rev);
    }

    public static NodeState load(Path file) throws IOException {
        try {
            NodeState s = Json.read(Files.readAllBytes(file), NodeState.class);
            if (s == null) {
                throw new IOException("empty or null (expected: a JSON object with epoch, role, lastAckedRevision)");
            }
            return s;
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(file + ": " + Json.describe(e) + " (the node's epoch and role are unknown: restore"
                    + " the file from a backup, or with the node stopped write {\"epoch\": E, \"role\": \"shadow\","
                    + " \"lastAckedRevision\": 0} where E is the peer's epoch from `understudy status` on the peer,"
                    + " then start it; it rejoins as shadow)", e);
        }
    }

    public void save(Path file) throws IOException {
        AtomicFiles.write(file, Json.toBytes(this));
    }
}
