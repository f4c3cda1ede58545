package dev.understudy.dist.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.auth.LoginGuard;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.home.EventLog;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.dist.connector.ConnectorMetrics;
import java.io.IOException;
import java.util.List;

/**
 * The node as the admin server sees it: the narrow port through which the admin API reads status,
 * alerts and configuration, sends writes and runs HA operations. The node runtime implements it and
 * hands itself to {@link AdminServer#start}, so this package never depends on the runtime.
 */
public interface AdminNode {

    /** The node's home (TLS key and certificate, the local admin socket). */
    NodeHome home();

    /** The node-local settings the node started with. */
    NodeSettings settings();

    /** The role this node holds now (it changes with failovers). */
    Role role();

    /** The failover epoch this node is in. */
    long epoch();

    /** Whether this node is the one that serves (for /healthz). */
    boolean isActive();

    /** Whether this node's data plane serves (for /healthz): the master, or in active-active also a shadow in sync. */
    boolean servesDataPlane();

    /** The data plane mode in effect (DESIGN.md §5): "active-standby" or "active-active". */
    String dataPlaneMode();

    /** The status document of {@code GET /api/v1/status} (DESIGN.md §7). */
    ObjectNode status();

    /** What this node knows of its peer. */
    PeerView peer();

    /** The HA port actually bound (or configured, before it is bound). */
    int haPort();

    /** Config pushes sent to the shadow. */
    long pushes();

    /** Push failures since the shadow last caught up. */
    long pushFailures();

    /** Promotions of this node since it started. */
    long failovers();

    /** The data plane's counters in total; zero before it starts. */
    ConnectorMetrics.Counters dataPlaneTotals();

    ConfigStore store();

    AlertStore alerts();

    /** The guard every login of this node goes through. */
    LoginGuard logins();

    /** The local CLI credential (never logged). */
    String adminToken();

    /** The newest {@code limit} role changes, oldest first. */
    List<EventLog.Event> events(int limit) throws IOException;

    /**
     * The single write path of the node: validates and commits {@code changes} as one revision.
     *
     * @throws NotActiveException     when this node is not the active one
     * @throws InvalidChangeException when the change set is rejected (nothing changed)
     */
    WriteResult write(ChangeSet changes) throws NotActiveException, InvalidChangeException, IOException;

    /** Pairs this shadow with the master at {@code master}; returns a one-line summary. */
    String attach(String master, String user, char[] password, String fingerprint) throws IOException;

    /** Forgets the peer on this node. */
    void detach() throws IOException;

    /** Forgets the peer and clears HA alerts. */
    void reset() throws IOException;

    /** Switches roles with the peer; returns what happened, or throws with why it was refused. */
    String switchRoles(boolean force) throws IOException;
}
