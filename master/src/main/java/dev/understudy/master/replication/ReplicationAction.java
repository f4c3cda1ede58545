package dev.understudy.master.replication;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.ha.message.HaMessage;

/** Outputs of the replication core, carried out by the adapter in the order given. */
public sealed interface ReplicationAction {

    /** Write {@code message} to the shadow (a DELTA batch or a HEARTBEAT). */
    record Send(HaMessage message) implements ReplicationAction {}

    /** Send {@code snapshot} as a chunked full transfer ({@link FullTransfer#chunks}). */
    record SendFullSync(ConfigStore.Snapshot snapshot, String reason) implements ReplicationAction {}

    /** A push failed or was not acknowledged in time: raise the push error and tell the failover machine. */
    record PushFailed(String what) implements ReplicationAction {}

    /** The shadow acknowledged everything pushed so far (at {@code revision}): push errors are over. */
    record CaughtUp(long revision) implements ReplicationAction {}

    /** Whether the shadow is in sync changed; tell the failover machine. */
    record InSyncChanged(boolean inSync) implements ReplicationAction {}

    /** Every writer waiting for an ack of a revision up to {@code revision} is acknowledged. */
    record AckedUpTo(long revision) implements ReplicationAction {}

    record RaiseAlert(Severity severity, AlertCategory category, String key, String message) implements ReplicationAction {}

    record ResolveAlert(AlertCategory category, String key) implements ReplicationAction {}
}
