package dev.understudy.common.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** A list of ops committed atomically as one new revision: all apply, or none. */
public record ChangeSet(@JsonProperty("ops") List<ChangeOp> ops) {

    @JsonCreator
    public ChangeSet(@JsonProperty("ops") List<ChangeOp> ops) {
        this.ops = ops == null ? null : List.copyOf(ops);
    }

    public static ChangeSet of(ChangeOp... ops) {
        return new ChangeSet(List.of(ops));
    }
}
