package dev.understudy.common.home;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What a node is: the master serves and owns the configuration; the shadow mirrors and stands by. */
public enum Role {
    MASTER, SHADOW;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Role of(String s) {
        if (s != null) {
            for (Role r : values()) {
                if (r.wireName().equalsIgnoreCase(s.trim())) {
                    return r;
                }
            }
        }
        throw new IllegalArgumentException("role: " + s + " (expected: master or shadow)");
    }

    @Override
    public String toString() {
        return wireName();
    }
}
