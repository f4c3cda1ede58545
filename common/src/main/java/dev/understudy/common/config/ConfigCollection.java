package dev.understudy.common.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The typed collections of the replicated configuration. */
public enum ConfigCollection {
    /** Connector mappings: published listen address to on-premise backend. */
    MAPPINGS("mappings"),
    /** Admin users; password hashes only, never a password. */
    USERS("users"),
    /** Free-form settings, key to JSON value. */
    SETTINGS("settings");

    private final String wireName;

    ConfigCollection(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in JSON, URLs and the CLI. */
    public String wireName() {
        return wireName;
    }

    /** The collection called {@code name}, or an exception naming the accepted names. */
    public static ConfigCollection of(String name) {
        for (ConfigCollection c : values()) {
            if (c.wireName.equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("collection: " + name + " (expected: one of " + names() + ")");
    }

    public static String names() {
        return Arrays.stream(values()).map(ConfigCollection::wireName).collect(Collectors.joining(", "));
    }
}
