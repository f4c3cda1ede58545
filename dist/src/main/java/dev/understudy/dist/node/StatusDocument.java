package dev.understudy.dist.node;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.Role;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.dist.admin.PeerView;
import dev.understudy.dist.connector.Connector;
import dev.understudy.dist.ha.HaNode;
import java.time.Instant;

/**
 * The status document of {@code GET /api/v1/status} and {@code understudy status --json}
 * (DESIGN.md §7), read from a node's parts at one moment. Before the node starts (no HA runtime, no
 * data plane) it shows what node.json and state.json say.
 */
final class StatusDocument {

    private final NodeRuntime node;
    private final HaNode ha;
    private final Connector connector;
    private final String certificateFingerprint;
    private final String startedAt;

    StatusDocument(NodeRuntime node, HaNode ha, Connector connector, String certificateFingerprint, String startedAt) {
        this.node = node;
        this.ha = ha;
        this.connector = connector;
        this.certificateFingerprint = certificateFingerprint;
        this.startedAt = startedAt;
    }

    /** What this node knows of its peer: live from the HA channel, or only who it is while no session runs. */
    static PeerView peer(HaNode ha, NodeSettings settings, ConfigStore store) {
        if (ha == null) {
            return PeerView.configured(settings.peerNodeId(), settings.peerAddress());
        }
        var p = ha.peer();
        long ago = ha.lastHeardMillisAgo();
        if (!ha.state().peerConnected()) {
            // no live session: who the peer is (if paired), never a state or revision from an ended session
            NodeSettings now = ha.settings();
            return new PeerView(now.peerNodeId(), now.peerAddress(), null, null, null,
                    now.peerNodeId() == null || ago < 0 ? null : ago);
        }
        long local = store.revision();
        Long rev = p.lastHeardNanos() < 0 ? null : p.revision();
        Long lag = rev == null ? null : ha.role() == Role.MASTER ? Math.max(0, local - rev) : Math.max(0, rev - local);
        return new PeerView(p.nodeId(), p.address() != null ? p.address() : ha.settings().peerAddress(), p.state(),
                rev, lag, ago < 0 ? null : ago);
    }

    ObjectNode render() {
        NodeSettings settings = node.settings();
        ConfigStore store = node.store();
        ObjectNode s = Json.object();
        Head head = store.head();
        s.put("nodeId", settings.nodeId());
        s.put("role", node.role().wireName());
        s.put("state", node.failoverState());
        s.put("active", node.isActive());
        s.put("writable", ha != null && ha.acceptsWrites());
        s.put("epoch", node.epoch());
        s.put("revision", head.revision());
        s.put("configHash", head.hash());
        putPeer(s.putObject("peer"));
        s.put("certificateFingerprint", certificateFingerprint);
        s.put("pid", ProcessHandle.current().pid());
        s.put("startedAt", startedAt);
        int adminPort = node.adminPort();
        s.put("adminPort", adminPort < 0 ? settings.adminPort() : adminPort);
        s.put("haPort", node.haPort());
        var sync = ha == null ? null : ha.syncProgress();
        if (sync == null) {
            s.putNull("sync");
        } else {
            s.putObject("sync").put("receivedBytes", sync.receivedBytes()).put("totalBytes", sync.totalBytes())
                    .put("reason", sync.reason());
        }
        s.put("failovers", node.failovers());
        if (connector != null) {
            putDataPlane(s.putObject("dataPlane"));
        }
        ObjectNode local = s.putObject("settings");
        local.put("scope", "node-local");
        local.put("source", node.home().nodeJson().toString());
        ObjectNode values = local.putObject("values");
        (ha == null ? settings : ha.settings()).describe().forEach(values::put);
        ObjectNode replicated = s.putObject("replicated");
        replicated.put("scope", "replicated");
        replicated.put("revision", head.revision());
        replicated.put("identicalOnPeer", identicalOnPeer(head));
        ObjectNode counts = replicated.putObject("collections");
        store.read(doc -> {
            for (ConfigCollection c : ConfigCollection.values()) {
                counts.put(c.wireName(), doc.entries(c).size());
            }
            return null;
        });
        s.put("activeAlerts", node.alerts().list(false).size());
        return s;
    }

    private void putPeer(ObjectNode peer) {
        PeerView p = node.peer();
        peer.put("nodeId", p.nodeId());
        peer.put("address", p.address());
        peer.put("state", p.state());
        peer.put("revision", p.revision());
        peer.put("lagRevisions", p.lagRevisions());
        peer.put("lastHeartbeatMillisAgo", p.lastHeartbeatMillisAgo());
        peer.put("connected", ha != null && ha.state().peerConnected());
        var session = ha == null ? null : ha.shadowSession();
        peer.put("connectedSince", session == null || session.connectedSinceMillis() < 0 ? null
                : Instant.ofEpochMilli(session.connectedSinceMillis()).toString());
        peer.put("seenFromHost", session == null ? null : session.remoteHost());
        peer.put("lastSuccessfulPush", session == null || session.lastPushAckedMillis() < 0 ? null
                : Instant.ofEpochMilli(session.lastPushAckedMillis()).toString());
    }

    private void putDataPlane(ObjectNode dp) {
        dp.put("serving", connector.serving());
        dp.put("mode", node.dataPlaneMode());
        dp.put("bindHost", ha == null ? null : ha.settings().dataPlaneBindHost());
        dp.put("reason", ha == null ? "starting" : ha.shadowServingReason());
        var errors = connector.bindErrors();
        dp.put("mappingsBound", connector.status().stream().filter(m -> m.bound()).count());
        dp.set("bindErrors", Json.mapper().valueToTree(errors));
        var states = dp.putArray("mappings");
        for (var m : connector.status()) {
            states.addObject().put("id", m.id()).put("state", m.bound() ? "bound" : m.error() != null ? "bind failed"
                    : "binding").put("error", m.error());
        }
    }

    /** Whether the connected peer confirmed this node's (revision, hash) within the last few heartbeats. */
    private boolean identicalOnPeer(Head head) {
        if (ha == null || !ha.state().peerConnected()) {
            return false;
        }
        var p = ha.peer();
        long ago = ha.lastHeardMillisAgo();
        long recent = ha.settings().heartbeatInterval().toMillis() * 5;
        return ago >= 0 && ago <= recent && p.revision() == head.revision() && head.hash().equals(p.hash());
    }
}
