package dev.understudy.dist.admin;

/**
 * The outcome of an acknowledged write.
 *
 * @param revision   the new revision, durable on this node
 * @param hash       the config hash after it
 * @param replicated whether an in-sync shadow acknowledged it before the write returned
 */
public record WriteResult(long revision, String hash, boolean replicated) {}
