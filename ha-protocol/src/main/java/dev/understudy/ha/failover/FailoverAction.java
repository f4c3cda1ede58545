package dev.understudy.ha.failover;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.home.Role;

/** Outputs of the failover state machine, performed by adapters in the order given. */
public sealed interface FailoverAction {

    /** Make (epoch, role) durable in state.json, then feed {@link FailoverEvent.Persisted}. */
    record PersistState(long epoch, Role role) implements FailoverAction {}

    /** Start serving the data plane and accepting writes in {@code epoch}. */
    record StartServing(long epoch) implements FailoverAction {}

    /** Stop serving at once: close data-plane listeners before anything else happens. */
    record StopServing(String reason) implements FailoverAction {}

    /** Shadow: open a connection to the master's HA port (TLS + HELLO). */
    record Connect() implements FailoverAction {}

    /** Close the connection with the peer. */
    record Disconnect(String reason) implements FailoverAction {}

    /** Open a fresh connection to the peer to learn its role and epoch; feed {@link FailoverEvent.PeerChecked}. */
    record CheckPeer() implements FailoverAction {}

    /** Master handing over: tell the shadow to serve in {@code epoch}. */
    record SendPromote(long epoch) implements FailoverAction {}

    /** Tell a stale active peer to step down; this node serves in {@code epoch}. */
    record SendDemote(long epoch) implements FailoverAction {}

    /** Refuse new writes (planned handover in progress). */
    record StopWrites() implements FailoverAction {}

    /** Accept writes again (handover aborted). */
    record ResumeWrites() implements FailoverAction {}

    /** Push every committed revision to the shadow; feed {@link FailoverEvent.HandoverAcked} when acked. */
    record FlushToPeer() implements FailoverAction {}

    record RaiseAlert(Severity severity, AlertCategory category, String key, String message) implements FailoverAction {}

    record ResolveAlert(AlertCategory category) implements FailoverAction {}

    /** Append to events.log and run the role-change hook. */
    record RecordRoleChange(Role from, Role to, long epoch, String reason) implements FailoverAction {}
}
