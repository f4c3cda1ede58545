package dev.understudy.common.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;

/** A connector mapping: the active node listens on listenHost:listenPort and forwards to the backend. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Mapping(
        @JsonProperty("id") String id,
        @JsonProperty("listenHost") String listenHost,
        @JsonProperty("listenPort") int listenPort,
        @JsonProperty("backendHost") String backendHost,
        @JsonProperty("backendPort") int backendPort,
        @JsonProperty("description") String description) {

    /** Default listen address when none is given: every interface. */
    public static final String DEFAULT_LISTEN_HOST = "0.0.0.0";

    /** The mapping stored under {@code id}; the value must have passed validation. */
    public static Mapping of(String id, JsonNode value) {
        return new Mapping(id,
                value.path("listenHost").asText(DEFAULT_LISTEN_HOST),
                value.path("listenPort").asInt(),
                value.path("backendHost").asText(),
                value.path("backendPort").asInt(),
                value.hasNonNull("description") ? value.get("description").asText() : null);
    }

    /** The stored value (the id is the key, not part of the value). */
    @JsonIgnore
    public ObjectNode toValue() {
        ObjectNode n = Json.object();
        n.put("listenHost", listenHost == null ? DEFAULT_LISTEN_HOST : listenHost);
        n.put("listenPort", listenPort);
        n.put("backendHost", backendHost);
        n.put("backendPort", backendPort);
        if (description != null) {
            n.put("description", description);
        }
        return n;
    }

    /** Key identifying the listen socket, for conflict checks. */
    @JsonIgnore
    public String listenKey() {
        return listenHost + ":" + listenPort;
    }
}
