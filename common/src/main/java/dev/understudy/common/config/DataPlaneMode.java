package dev.understudy.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * Which nodes of a pair forward connector traffic (DESIGN.md §5 "Data plane modes"): set per node in
 * node.json ({@code dataPlane}), or for the whole pair as the replicated setting {@code dataPlane}; node.json wins.
 */
public enum DataPlaneMode {
    /** Only the master forwards; the shadow listens on nothing until it promotes (the default). */
    ACTIVE_STANDBY("active-standby"),
    /** Every node in sync forwards: the master, and a shadow in STANDBY; config writes still go to the master. */
    ACTIVE_ACTIVE("active-active");

    /** The key of the replicated pair-wide default in the {@code settings} collection. */
    public static final String SETTING_KEY = "dataPlane";

    private final String wireName;

    DataPlaneMode(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in node.json, the settings collection and status. */
    public String wireName() {
        return wireName;
    }

    /** The mode called {@code s}; {@code field} names where it came from in the error. */
    public static DataPlaneMode of(String field, String s) {
        if (s != null) {
            for (DataPlaneMode m : values()) {
                if (m.wireName.equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return m;
                }
            }
        }
        throw new IllegalArgumentException(field + ": " + s + " (expected: active-standby or active-active)");
    }

    /** The mode a replicated settings value names ({@code "active-active"}), checked as {@link #of} does. */
    public static DataPlaneMode ofSetting(JsonNode value) {
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("settings/" + SETTING_KEY + ": " + value
                    + " (expected: the string \"active-standby\" or \"active-active\")");
        }
        return of("settings/" + SETTING_KEY, value.asText());
    }

    /**
     * The mode this node runs: node.json's {@code dataPlane} when set, else the replicated setting, else
     * active-standby. A replicated value that does not parse (written before it was checked) counts as unset.
     */
    public static DataPlaneMode effective(DataPlaneMode nodeLocal, JsonNode replicated) {
        if (nodeLocal != null) {
            return nodeLocal;
        }
        if (replicated == null || replicated.isNull()) {
            return ACTIVE_STANDBY;
        }
        try {
            return ofSetting(replicated);
        } catch (IllegalArgumentException e) {
            return ACTIVE_STANDBY;
        }
    }

    @Override
    public String toString() {
        return wireName;
    }
}
