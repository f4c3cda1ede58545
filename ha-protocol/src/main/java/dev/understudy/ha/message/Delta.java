package dev.understudy.ha.message;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.understudy.common.store.Revision;
import java.util.List;

/**
 * Revisions after {@code baseRevision}, in order. The shadow applies them only if its head is
 * exactly (baseRevision, baseHash); otherwise it answers NACK with needFull.
 */
public record Delta(
        @JsonProperty("epoch") long epoch,
        @JsonProperty("baseRevision") long baseRevision,
        @JsonProperty("baseHash") String baseHash,
        @JsonProperty("changes") List<Revision> changes) implements HaMessage {

    public Delta {
        changes = List.copyOf(changes);
    }

    @Override
    public MessageType type() {
        return MessageType.DELTA;
    }
}
