/**
 * The crash-safe configuration store: an append-only journal with a CRC32C per record and group-commit fsync, atomic snapshots, recovery that truncates a torn tail, and bounded retention that feeds incremental pushes.
 */
package dev.understudy.common.store;
