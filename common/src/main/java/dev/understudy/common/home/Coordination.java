package dev.understudy.common.home;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The {@code coordination} setting of node.json: where a group's leadership lives in ZooKeeper. Absent, the
 * group is a pair and needs no outside service.
 *
 * <p><b>The timing rule.</b> With ZooKeeper unreachable, a master still confirmed by every member keeps
 * serving, and stops taking writes once any member's confirmation is older than the
 * {@linkplain #confirmationWindow member-confirmation window} (3 x heartbeatInterval, the same "three missed
 * heartbeats" the failure detector uses). A master cut off from ZooKeeper <i>and</i> its members at time T may
 * not know ZooKeeper is gone until up to sessionTimeout later (the ZooKeeper client's read timeout is 2/3 of
 * it, Curator reports the session lost at sessionTimeout), and only then does the confirmation rule apply to
 * confirmations that may be up to the window old. So its last write happens before
 * T + sessionTimeout + window. A shadow's silence clock starts no earlier than T, so it cannot campaign before
 * T + takeoverDelay. Hence {@code sessionTimeout + 3 x heartbeatInterval < takeoverDelay}, checked at load
 * ({@link NodeSettings}): the old master has stopped writing before any shadow may promote. The session
 * timeout that counts is the one the ensemble negotiates (a server clamps it to 2..20 x its tickTime).
 *
 * @param zookeeper      the ensemble's connect string, {@code host:port[,host:port...]}
 * @param path           the group's znode, e.g. {@code /understudy/prod}; every group has its own
 * @param sessionTimeout the ZooKeeper session timeout asked for
 */
public record Coordination(String zookeeper, String path, Duration sessionTimeout) {

    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(2);

    /** Members a ZooKeeper group may have: one master and up to six shadows. */
    public static final int MAX_GROUP_SIZE = 7;

    private static final Set<String> FIELDS = Set.of("zookeeper", "path", "sessionTimeout");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    public Coordination {
        require(zookeeper != null && !zookeeper.isBlank(),
                "coordination.zookeeper: missing (expected: host:port[,host:port...] of the ZooKeeper ensemble)");
        for (String server : zookeeper.split(",", -1)) {
            require(HostPort.isValid(server.trim()), "coordination.zookeeper: " + zookeeper
                    + " (expected: host:port[,host:port...], no chroot: the group's znode goes in coordination.path)");
        }
        require(path != null, "coordination.path: missing (expected: the group's znode, such as /understudy/prod)");
        require(validPath(path), "coordination.path: " + path
                + " (expected: an absolute znode path such as /understudy/prod: starts with /, no trailing /,"
                + " segments of A-Z a-z 0-9 . _ - other than . and ..)");
        require(sessionTimeout != null, "coordination.sessionTimeout: missing (expected: a duration > 0)");
        require(!sessionTimeout.isNegative() && !sessionTimeout.isZero(),
                "coordination.sessionTimeout: " + Durations.format(sessionTimeout) + " (expected: > 0)");
    }

    private static boolean validPath(String p) {
        if (!p.startsWith("/") || p.length() < 2 || p.endsWith("/")) {
            return false;
        }
        for (String s : p.substring(1).split("/", -1)) {
            if (!SEGMENT.matcher(s).matches() || s.equals(".") || s.equals("..") || s.equals("zookeeper")) {
                return false;
            }
        }
        return true;
    }

    /**
     * How old the newest confirmation from each member may be while a master without ZooKeeper keeps taking
     * writes: three heartbeats, as the failure detector counts a late one.
     */
    public static Duration confirmationWindow(Duration heartbeatInterval) {
        return heartbeatInterval.multipliedBy(3);
    }

    /** The bound the timing rule puts under takeoverDelay (see the type's javadoc). */
    public Duration takeoverFloor(Duration heartbeatInterval) {
        return sessionTimeout.plus(confirmationWindow(heartbeatInterval));
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("zookeeper", zookeeper);
        n.put("path", path);
        n.put("sessionTimeout", Durations.format(sessionTimeout));
        return n;
    }

    /** Reads the {@code coordination} object; null or absent is "no coordination" (a pair). */
    public static Coordination fromJson(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        require(n.isObject(), "coordination: " + n
                + " (expected: {\"zookeeper\": \"h1:2181,...\", \"path\": \"/understudy/<group>\", \"sessionTimeout\": \"2s\"})");
        for (String f : (Iterable<String>) n::fieldNames) {
            require(FIELDS.contains(f), "coordination." + f + ": unknown field (expected: one of " + new TreeSet<>(FIELDS) + ")");
        }
        JsonNode t = n.get("sessionTimeout");
        Duration timeout = DEFAULT_SESSION_TIMEOUT;
        if (t != null && !t.isNull()) {
            require(t.isTextual(), "coordination.sessionTimeout: " + t + " (expected: a duration string such as \"2s\")");
            timeout = Durations.parse("coordination.sessionTimeout", t.asText());
        }
        return new Coordination(text(n, "zookeeper"), text(n, "path"), timeout);
    }

    private static String text(JsonNode n, String f) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) {
            return null;
        }
        require(v.isTextual(), "coordination." + f + ": " + v + " (expected: a string)");
        return v.asText();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
