package dev.understudy.common.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One operation of a change set: put (create or replace) or delete the entry {@code id} of
 * {@code collection}. {@code value} is present for put and absent for delete.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChangeOp(
        @JsonProperty("op") String op,
        @JsonProperty("collection") String collection,
        @JsonProperty("id") String id,
        @JsonProperty("value") JsonNode value) {

    public static final String PUT = "put";
    public static final String DELETE = "delete";

    public static ChangeOp put(ConfigCollection collection, String id, JsonNode value) {
        return new ChangeOp(PUT, collection.wireName(), id, value);
    }

    public static ChangeOp delete(ConfigCollection collection, String id) {
        return new ChangeOp(DELETE, collection.wireName(), id, null);
    }

    // not a property: serialized as "put":true it made every journal record unreadable by the strict mapper
    @JsonIgnore
    public boolean isPut() {
        return PUT.equals(op);
    }
}
