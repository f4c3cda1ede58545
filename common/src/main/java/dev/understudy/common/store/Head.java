package dev.understudy.common.store;

/** The newest revision of a store and the config hash at that revision, read together. */
public record Head(long revision, String hash) {}
