package dev.understudy.common.alert;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One durable alert. {@code key} distinguishes alerts of one category (e.g. a peer address); a
 * repeated problem bumps {@code count} and {@code lastSeen} of the open alert instead of adding one.
 * Times are ISO-8601 instants.
 */
@JsonPropertyOrder({"id", "severity", "category", "message", "firstSeen", "lastSeen", "count", "resolved", "acknowledged"})
public record Alert(
        @JsonProperty("id") String id,
        @JsonProperty("severity") Severity severity,
        @JsonProperty("category") AlertCategory category,
        @JsonProperty("key") String key,
        @JsonProperty("message") String message,
        @JsonProperty("firstSeen") String firstSeen,
        @JsonProperty("lastSeen") String lastSeen,
        @JsonProperty("count") long count,
        @JsonProperty("resolved") boolean resolved,
        @JsonProperty("acknowledged") boolean acknowledged) {

    Alert seenAgain(Severity s, String msg, String now) {
        return new Alert(id, s, category, key, msg, firstSeen, now, count + 1, false, acknowledged);
    }

    Alert withKey(String k) {
        return new Alert(id, severity, category, k, message, firstSeen, lastSeen, count, resolved, acknowledged);
    }

    Alert withResolved() {
        return new Alert(id, severity, category, key, message, firstSeen, lastSeen, count, true, acknowledged);
    }

    Alert withAcknowledged() {
        return new Alert(id, severity, category, key, message, firstSeen, lastSeen, count, resolved, true);
    }
}
