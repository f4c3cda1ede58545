package dev.understudy.common.store;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.understudy.common.config.ChangeOp;
import java.util.List;

/** One committed revision: its number, the config hash after it, and the ops that made it. */
public record Revision(
        @JsonProperty("revision") long revision,
        @JsonProperty("hash") String hash,
        @JsonProperty("ops") List<ChangeOp> ops) {

    public Revision {
        ops = List.copyOf(ops);
    }
}
