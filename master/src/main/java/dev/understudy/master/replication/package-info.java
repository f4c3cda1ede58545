/**
 * The master's replication protocol as a pure core: what to send a connected shadow (deltas, a full
 * transfer, heartbeats), when a push failed and when to retry, when the shadow is in sync, and which
 * acknowledgement waiters are done. {@link dev.understudy.master.replication.ReplicationSession} takes
 * events with the time passed in and returns actions; it touches no socket, thread or clock, so the
 * Netty adapter in {@code MasterRole} and the whole-cluster simulation drive the same decisions.
 */
package dev.understudy.master.replication;
