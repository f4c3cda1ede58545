/**
 * Durable file primitives: atomic replace (temporary file, fsync, rename, directory fsync) and owner-only permissions for secrets.
 */
package dev.understudy.common.io;
