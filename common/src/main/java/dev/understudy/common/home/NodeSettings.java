package dev.understudy.common.home;

import dev.understudy.common.config.DataPlaneMode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Node-local settings, {@code node.json}: never replicated. Each field is checked when read;
 * unknown fields are rejected.
 *
 * @param nodeId              this node's stable identity
 * @param role                the role chosen at init (the current role lives in state.json)
 * @param adminHost           address of the admin API and console
 * @param adminPort           port of the admin API and console (HTTPS)
 * @param haHost              address of the HA channel listener
 * @param haPort              port of the HA channel (the master listens; the shadow advertises it for role switches)
 * @param peerAddress         HA address (host:port) of the paired peer; null while detached
 * @param peerNodeId          node id of the paired peer; null while detached
 * @param permittedShadowHost the only host a shadow may attach from (master); null for any
 * @param heartbeatInterval   how often heartbeats are sent both ways
 * @param takeoverDelay       silence from the master after which the shadow promotes
 * @param connectTimeout      TCP/TLS connect timeout to the peer
 * @param requestTimeout      how long a write waits for the shadow's ack, and other peer requests
 * @param logLevel            root log level
 * @param coordination        where the group's leadership lives in ZooKeeper; null for a pair (the default)
 * @param dataPlane           which nodes forward (DESIGN.md §5); null: the replicated {@code settings/dataPlane},
 *                            else active-standby
 * @param dataPlaneBindHost   the address every mapping listens on at this node instead of its listenHost; null: listenHost
 */
public record NodeSettings(
        String nodeId, Role role, String adminHost, int adminPort, String haHost, int haPort,
        String peerAddress, String peerNodeId, String permittedShadowHost,
        Duration heartbeatInterval, Duration takeoverDelay, Duration connectTimeout, Duration requestTimeout,
        String logLevel, Coordination coordination, DataPlaneMode dataPlane, String dataPlaneBindHost) {

    public static final int DEFAULT_ADMIN_PORT = 8443;
    public static final int DEFAULT_HA_PORT = 8444;
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofMillis(200);
    public static final Duration DEFAULT_TAKEOVER = Duration.ofSeconds(2);
    public static final Duration DEFAULT_CONNECT = Duration.ofSeconds(1);
    public static final Duration DEFAULT_REQUEST = Duration.ofSeconds(2);

    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Set<String> FIELDS = Set.of("nodeId", "role", "adminHost", "adminPort", "haHost", "haPort",
            "peerAddress", "peerNodeId", "permittedShadowHost", "heartbeatInterval", "takeoverDelay",
            "connectTimeout", "requestTimeout", "logLevel", "coordination", "dataPlane",
            "dataPlaneBindHost");
    private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

    /** The rule `init` enforces for a node id, as the "expected" part of an error message. */
    public static final String NODE_ID_RULE = "1-64 characters of A-Z a-z 0-9 . _ -";

    /** Whether {@code id} is a node id `init` would accept (also checked on every id a peer sends). */
    public static boolean isNodeId(String id) {
        return id != null && NODE_ID.matcher(id).matches();
    }

    public NodeSettings {
        require(isNodeId(nodeId), "nodeId: " + nodeId + " (expected: " + NODE_ID_RULE + ")");
        require(role != null, "role: missing (expected: master or shadow)");
        require(adminPort >= 0 && adminPort <= 65535, "adminPort: " + adminPort + " (expected: 0..65535)");
        require(haPort >= 0 && haPort <= 65535, "haPort: " + haPort + " (expected: 0..65535)");
        require(adminHost != null && !adminHost.isBlank(), "adminHost: missing (expected: a bind address)");
        require(haHost != null && !haHost.isBlank(), "haHost: missing (expected: a bind address)");
        require(peerAddress == null || HostPort.isValid(peerAddress), "peerAddress: " + peerAddress + " (expected: host:port)");
        positive("heartbeatInterval", heartbeatInterval);
        positive("takeoverDelay", takeoverDelay);
        positive("connectTimeout", connectTimeout);
        positive("requestTimeout", requestTimeout);
        require(logLevel != null && LEVELS.contains(logLevel), "logLevel: " + logLevel + " (expected: one of " + LEVELS + ")");
        require(dataPlaneBindHost == null || !dataPlaneBindHost.isBlank() && dataPlaneBindHost.strip().equals(dataPlaneBindHost),
                "dataPlaneBindHost: \"" + dataPlaneBindHost + "\" (expected: an address of this node, e.g. 10.0.0.11, or no field"
                        + " to listen on each mapping's listenHost)");
        // cross-field checks last
        require(takeoverDelay.compareTo(heartbeatInterval.multipliedBy(3)) >= 0, "takeoverDelay: "
                + Durations.format(takeoverDelay) + " (expected: at least 3 x heartbeatInterval = "
                + Durations.format(heartbeatInterval.multipliedBy(3)) + ", so a late heartbeat is not a failure)");
        // the failsafe's timing rule, reasoned in Coordination's javadoc
        require(coordination == null || takeoverDelay.compareTo(coordination.takeoverFloor(heartbeatInterval)) > 0,
                coordination == null ? "" : "takeoverDelay: " + Durations.format(takeoverDelay)
                + " (expected with coordination: > coordination.sessionTimeout + 3 x heartbeatInterval = "
                + Durations.format(coordination.sessionTimeout()) + " + "
                + Durations.format(Coordination.confirmationWindow(heartbeatInterval)) + " = "
                + Durations.format(coordination.takeoverFloor(heartbeatInterval))
                + ", so a master cut off from ZooKeeper and its members stops taking writes before a shadow can"
                + " take over; raise takeoverDelay or lower coordination.sessionTimeout)");
    }

    private static void positive(String name, Duration d) {
        require(d != null, name + ": missing (expected: a duration > 0)");
        require(!d.isNegative() && !d.isZero(), name + ": " + Durations.format(d) + " (expected: > 0)");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public static NodeSettings defaults(String nodeId, Role role) {
        return new NodeSettings(nodeId, role, "0.0.0.0", DEFAULT_ADMIN_PORT, "0.0.0.0", DEFAULT_HA_PORT,
                null, null, null, DEFAULT_HEARTBEAT, DEFAULT_TAKEOVER, DEFAULT_CONNECT, DEFAULT_REQUEST, "INFO", null,
                null, null);
    }

    public NodeSettings withPorts(int admin, int ha) {
        return new NodeSettings(nodeId, role, adminHost, admin, haHost, ha, peerAddress, peerNodeId,
                permittedShadowHost, heartbeatInterval, takeoverDelay, connectTimeout, requestTimeout, logLevel, coordination,
                dataPlane, dataPlaneBindHost);
    }

    public NodeSettings withHosts(String admin, String ha) {
        return new NodeSettings(nodeId, role, admin, adminPort, ha, haPort, peerAddress, peerNodeId,
                permittedShadowHost, heartbeatInterval, takeoverDelay, connectTimeout, requestTimeout, logLevel, coordination,
                dataPlane, dataPlaneBindHost);
    }

    public NodeSettings withPeer(String address, String id) {
        return new NodeSettings(nodeId, role, adminHost, adminPort, haHost, haPort, address, id,
                permittedShadowHost, heartbeatInterval, takeoverDelay, connectTimeout, requestTimeout, logLevel, coordination,
                dataPlane, dataPlaneBindHost);
    }

    public NodeSettings withPermittedShadowHost(String host) {
        return new NodeSettings(nodeId, role, adminHost, adminPort, haHost, haPort, peerAddress, peerNodeId,
                host, heartbeatInterval, takeoverDelay, connectTimeout, requestTimeout, logLevel, coordination,
                dataPlane, dataPlaneBindHost);
    }

    public NodeSettings withTimings(Duration heartbeat, Duration takeover, Duration connect, Duration request) {
        return new NodeSettings(nodeId, role, adminHost, adminPort, haHost, haPort, peerAddress, peerNodeId,
                permittedShadowHost, heartbeat, takeover, connect, request, logLevel, coordination,
                dataPlane, dataPlaneBindHost);
    }

    public NodeSettings withCoordination(Coordination c) {
        return new NodeSettings(nodeId, role, adminHost, adminPort, haHost, haPort, peerAddress, peerNodeId,
                permittedShadowHost, heartbeatInterval, takeoverDelay, connectTimeout, requestTimeout, logLevel, c,
                dataPlane, dataPlaneBindHost);
    }

    /** With node.json's {@code dataPlane} and {@code dataPlaneBindHost} (null: unset). */
    public NodeSettings withDataPlane(DataPlaneMode mode, String bindHost) {
        return new NodeSettings(nodeId, role, adminHost, adminPort, haHost, haPort, peerAddress, peerNodeId,
                permittedShadowHost, heartbeatInterval, takeoverDelay, connectTimeout, requestTimeout, logLevel, coordination,
                mode, bindHost);
    }

    /** Every field with whether it is the default, for the start-up log and `status`. */
    public Map<String, String> describe() {
        NodeSettings d = defaults(nodeId, role);
        Map<String, String> m = new LinkedHashMap<>();
        m.put("nodeId", nodeId);
        m.put("adminPort", adminHost + ":" + adminPort + (adminPort == d.adminPort ? " (default)" : ""));
        m.put("haPort", haHost + ":" + haPort + (haPort == d.haPort ? " (default)" : ""));
        m.put("peer", peerAddress == null ? "none (detached)" : peerAddress + " (" + peerNodeId + ")");
        m.put("permittedShadowHost", permittedShadowHost == null ? "any" : permittedShadowHost);
        m.put("heartbeatInterval", dur(heartbeatInterval, d.heartbeatInterval));
        m.put("takeoverDelay", dur(takeoverDelay, d.takeoverDelay));
        m.put("connectTimeout", dur(connectTimeout, d.connectTimeout));
        m.put("requestTimeout", dur(requestTimeout, d.requestTimeout));
        m.put("logLevel", logLevel);
        m.put("coordination", coordination == null ? "none (a pair)" : coordination.zookeeper() + " "
                + coordination.path() + " sessionTimeout " + dur(coordination.sessionTimeout(), Coordination.DEFAULT_SESSION_TIMEOUT));
        m.put("dataPlane", dataPlane == null ? "unset (the replicated settings/dataPlane, else active-standby)"
                : dataPlane.wireName());
        m.put("dataPlaneBindHost", dataPlaneBindHost == null ? "unset (each mapping's listenHost)" : dataPlaneBindHost);
        return m;
    }

    private static String dur(Duration v, Duration def) {
        return Durations.format(v) + (v.equals(def) ? " (default)" : "");
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("nodeId", nodeId);
        n.put("role", role.wireName());
        n.put("adminHost", adminHost);
        n.put("adminPort", adminPort);
        n.put("haHost", haHost);
        n.put("haPort", haPort);
        n.put("peerAddress", peerAddress);
        n.put("peerNodeId", peerNodeId);
        n.put("permittedShadowHost", permittedShadowHost);
        n.put("heartbeatInterval", Durations.format(heartbeatInterval));
        n.put("takeoverDelay", Durations.format(takeoverDelay));
        n.put("connectTimeout", Durations.format(connectTimeout));
        n.put("requestTimeout", Durations.format(requestTimeout));
        n.put("logLevel", logLevel);
        if (coordination != null) {
            n.set("coordination", coordination.toJson());
        }
        if (dataPlane != null) {
            n.put("dataPlane", dataPlane.wireName());
        }
        if (dataPlaneBindHost != null) {
            n.put("dataPlaneBindHost", dataPlaneBindHost);
        }
        return n;
    }

    /** Parses node.json content; messages name the field and what was expected. */
    public static NodeSettings fromJson(JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        for (String f : (Iterable<String>) () -> n.fieldNames()) {
            require(FIELDS.contains(f), f + ": unknown field (expected: one of " + new java.util.TreeSet<>(FIELDS) + ")");
        }
        return new NodeSettings(
                text(n, "nodeId", null),
                Role.of(text(n, "role", null)),
                text(n, "adminHost", "0.0.0.0"),
                integer(n, "adminPort", DEFAULT_ADMIN_PORT),
                text(n, "haHost", "0.0.0.0"),
                integer(n, "haPort", DEFAULT_HA_PORT),
                text(n, "peerAddress", null),
                text(n, "peerNodeId", null),
                text(n, "permittedShadowHost", null),
                duration(n, "heartbeatInterval", DEFAULT_HEARTBEAT),
                duration(n, "takeoverDelay", DEFAULT_TAKEOVER),
                duration(n, "connectTimeout", DEFAULT_CONNECT),
                duration(n, "requestTimeout", DEFAULT_REQUEST),
                text(n, "logLevel", "INFO"),
                Coordination.fromJson(n.get("coordination")),
                text(n, "dataPlane", null) == null ? null : DataPlaneMode.of("dataPlane", text(n, "dataPlane", null)),
                text(n, "dataPlaneBindHost", null));
    }

    private static String text(JsonNode n, String f, String def) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) {
            return def;
        }
        require(v.isTextual(), f + ": " + v + " (expected: a string)");
        return v.asText();
    }

    private static int integer(JsonNode n, String f, int def) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) {
            return def;
        }
        require(v.isIntegralNumber() && v.canConvertToInt(), f + ": " + v + " (expected: an integer)");
        return v.asInt();
    }

    private static Duration duration(JsonNode n, String f, Duration def) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) {
            return def;
        }
        require(v.isTextual(), f + ": " + v + " (expected: a duration string such as \"200ms\")");
        return Durations.parse(f, v.asText());
    }
}
