package dev.understudy.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.understudy.common.config.DataPlaneMode;
import dev.understudy.common.json.Json;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks every op of a change set against the document it will be applied to, as if the ops
 * before it had already been applied. The first problem rejects the whole set, with a message
 * naming the op and the field.
 */
final class ChangeValidator {

    static final int MAX_OPS = 10_000;
    static final int MAX_SETTING_BYTES = 64 * 1024;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern HOSTNAME = Pattern.compile(
            "(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
    private static final Pattern PBKDF2_HASH =
            Pattern.compile("pbkdf2-sha256\\$[1-9][0-9]{0,7}\\$[A-Za-z0-9+/]{8,}={0,2}\\$[A-Za-z0-9+/]{16,}={0,2}");
    private static final Set<String> MAPPING_FIELDS =
            Set.of("listenHost", "listenPort", "backendHost", "backendPort", "description");
    private static final String WILDCARD = Mapping.DEFAULT_LISTEN_HOST;
    /** Marks an entry deleted earlier in the same change set. */
    private static final JsonNode DELETED = Json.object();

    private ChangeValidator() {}

    static ChangeSet validate(ConfigDocument doc, ChangeSet changes) throws InvalidChangeException {
        return validate(doc, changes, MAX_OPS);
    }

    static ChangeSet validate(ConfigDocument doc, ChangeSet changes, int maxOps) throws InvalidChangeException {
        if (changes == null || changes.ops() == null) {
            throw new InvalidChangeException("ops: missing (expected: a list of ops)");
        }
        List<ChangeOp> ops = changes.ops();
        if (ops.isEmpty()) {
            throw new InvalidChangeException("ops: [] (expected: at least one op)");
        }
        if (ops.size() > maxOps) {
            throw new InvalidChangeException("ops: " + ops.size() + " ops (expected: at most " + maxOps + " per change set)");
        }
        Map<ConfigCollection, Map<String, JsonNode>> overlay = new HashMap<>();
        StagedListen listen = new StagedListen();
        List<ChangeOp> normalized = new ArrayList<>(ops.size());
        List<Put> mappingPuts = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            String at = "ops[" + i + "]";
            ChangeOp op = ops.get(i);
            if (op == null) {
                throw new InvalidChangeException(at + ": null (expected: an op object)");
            }
            if (!ChangeOp.PUT.equals(op.op()) && !ChangeOp.DELETE.equals(op.op())) {
                throw new InvalidChangeException(at + ".op: " + op.op() + " (expected: put or delete)");
            }
            ConfigCollection c;
            try {
                c = ConfigCollection.of(op.collection());
            } catch (IllegalArgumentException e) {
                throw new InvalidChangeException(at + "." + e.getMessage());
            }
            if (op.id() == null || !ID.matcher(op.id()).matches()) {
                throw new InvalidChangeException(at + ".id: " + op.id()
                        + " (expected: 1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit)");
            }
            Map<String, JsonNode> staged = overlay.computeIfAbsent(c, k -> new HashMap<>());
            JsonNode current = staged.containsKey(op.id()) ? staged.get(op.id()) : doc.get(c, op.id());
            boolean exists = current != null && current != DELETED;
            if (!op.isPut()) {
                if (op.value() != null && !op.value().isNull()) {
                    throw new InvalidChangeException(at + ".value: present (expected: no value for delete)");
                }
                if (!exists) {
                    throw new InvalidChangeException(at + ".id: " + op.id() + " (expected: an existing " + c.wireName() + " entry)");
                }
                if (c == ConfigCollection.USERS && remainingUsers(doc, staged) <= 1) {
                    throw new InvalidChangeException(at + ".id: " + op.id()
                            + " (expected: not the last admin user; add another user first)");
                }
                staged.put(op.id(), DELETED);
                if (c == ConfigCollection.MAPPINGS) {
                    listen.remove(op.id());
                }
                normalized.add(ChangeOp.delete(c, op.id()));
                continue;
            }
            if (op.value() == null || op.value().isNull() || op.value().isMissingNode()) {
                throw new InvalidChangeException(at + ".value: missing (expected: a value for put)");
            }
            JsonNode value = switch (c) {
                case MAPPINGS -> mapping(at, op.id(), op.value(), doc, staged, listen);
                case USERS -> user(at, op.value());
                case SETTINGS -> setting(at, op.id(), op.value());
            };
            staged.put(op.id(), value);
            normalized.add(ChangeOp.put(c, op.id(), value));
            if (c == ConfigCollection.MAPPINGS) {
                mappingPuts.add(new Put(at, Mapping.of(op.id(), value), value));
            }
        }
        refuseLoops(mappingPuts, doc, overlay.getOrDefault(ConfigCollection.MAPPINGS, Map.of()), listen);
        return new ChangeSet(normalized);
    }

    private static int remainingUsers(ConfigDocument doc, Map<String, JsonNode> staged) {
        int n = doc.entries(ConfigCollection.USERS).size();
        for (Map.Entry<String, JsonNode> e : staged.entrySet()) {
            boolean inDoc = doc.get(ConfigCollection.USERS, e.getKey()) != null;
            boolean deleted = e.getValue() == DELETED;
            if (inDoc && deleted) {
                n--;
            } else if (!inDoc && !deleted) {
                n++;
            }
        }
        return n;
    }

    private static JsonNode mapping(String at, String id, JsonNode v, ConfigDocument doc, Map<String, JsonNode> staged,
                                    StagedListen listen) throws InvalidChangeException {
        if (!v.isObject()) {
            throw new InvalidChangeException(at + ".value: " + abbreviate(v)
                    + " (expected: an object with listenPort, backendHost, backendPort)");
        }
        var names = v.fieldNames();
        while (names.hasNext()) {
            String f = names.next();
            if (!MAPPING_FIELDS.contains(f)) {
                throw new InvalidChangeException(at + ".value." + f
                        + ": unknown field (expected: one of listenHost, listenPort, backendHost, backendPort, description)");
            }
        }
        String listenHost = v.has("listenHost") ? host(at + ".value.listenHost", v.get("listenHost")) : WILDCARD;
        int listenPort = port(at + ".value.listenPort", v.get("listenPort"));
        String backendHost = host(at + ".value.backendHost", v.get("backendHost"));
        int backendPort = port(at + ".value.backendPort", v.get("backendPort"));
        String description = null;
        if (v.hasNonNull("description")) {
            JsonNode d = v.get("description");
            if (!d.isTextual() || d.asText().length() > 1024) {
                throw new InvalidChangeException(at + ".value.description: " + abbreviate(d)
                        + " (expected: a string of at most 1024 characters)");
            }
            description = d.asText();
        }
        Mapping m = new Mapping(id, listenHost, listenPort, backendHost, backendPort, description);
        String other = conflict(m, doc, staged, listen);
        if (other != null) {
            throw new InvalidChangeException(at + ".value.listenPort: " + listenPort
                    + " (expected: a port not already used on " + listenHost + " by mapping '" + other + "')");
        }
        listen.put(m);
        ObjectNode out = m.toValue();
        return out;
    }

    /** The id of another mapping that would listen on the same socket, or null. O(mappings on that port). */
    private static String conflict(Mapping m, ConfigDocument doc, Map<String, JsonNode> staged, StagedListen listen) {
        for (Map.Entry<String, String> e : doc.mappingsOnPort(m.listenPort()).entrySet()) {
            String otherId = e.getValue();
            if (otherId.equals(m.id()) || staged.containsKey(otherId)) {
                continue; // replaced or deleted by this very change set: checked below from the staged index
            }
            if (overlaps(e.getKey(), m.listenHost())) {
                return otherId;
            }
        }
        for (Map.Entry<String, String> e : listen.onPort(m.listenPort()).entrySet()) {
            if (!e.getValue().equals(m.id()) && overlaps(e.getKey(), m.listenHost())) {
                return e.getValue();
            }
        }
        return null;
    }

    /**
     * Listen sockets of the mappings put earlier in the change set being validated, indexed by port,
     * so a large change set (or a whole snapshot read back) is checked in linear time, not quadratic.
     */
    private static final class StagedListen {
        private final Map<Integer, Map<String, String>> byPort = new HashMap<>();
        private final Map<String, Mapping> byId = new HashMap<>();

        void put(Mapping m) {
            remove(m.id());
            byId.put(m.id(), m);
            byPort.computeIfAbsent(m.listenPort(), p -> new HashMap<>(2)).put(m.listenHost(), m.id());
        }

        void remove(String id) {
            Mapping old = byId.remove(id);
            if (old != null) {
                Map<String, String> hosts = byPort.get(old.listenPort());
                hosts.remove(old.listenHost(), id);
                if (hosts.isEmpty()) {
                    byPort.remove(old.listenPort());
                }
            }
        }

        Map<String, String> onPort(int port) {
            return byPort.getOrDefault(port, Map.of());
        }
    }

    private static boolean overlaps(String a, String b) {
        return ListenAddress.overlaps(a, b);
    }

    /** A mapping put by the change set, with where its op is for the message. */
    private record Put(String at, Mapping mapping, JsonNode value) {}

    /**
     * Refuses a forwarding loop in the document as the change set leaves it: a mapping whose backend
     * is a listen socket of a mapping on the same node (itself included) would make every client
     * connection open another one to the node itself, until descriptors run out. Only pairs with a
     * mapping the change set puts are checked (the rest was checked when it was written), through the
     * listen and backend port indexes: O(puts x mappings on the same port).
     */
    private static void refuseLoops(List<Put> puts, ConfigDocument doc, Map<String, JsonNode> stagedMappings,
                                    StagedListen listen) throws InvalidChangeException {
        for (Put p : puts) {
            Mapping m = p.mapping();
            if (stagedMappings.get(m.id()) != p.value()) {
                continue; // replaced or deleted later in the same set: only what the set leaves counts
            }
            for (Map.Entry<String, String> e : doc.mappingsOnPort(m.backendPort()).entrySet()) {
                if (!stagedMappings.containsKey(e.getValue()) && ListenAddress.reaches(m.backendHost(), e.getKey())) {
                    throw loop(p.at() + ".value.backendPort", m, e.getValue(), e.getKey());
                }
            }
            for (Map.Entry<String, String> e : listen.onPort(m.backendPort()).entrySet()) {
                if (ListenAddress.reaches(m.backendHost(), e.getKey())) {
                    throw loop(p.at() + ".value.backendPort", m, e.getValue(), e.getKey());
                }
            }
            for (String otherId : doc.mappingsWithBackendPort(m.listenPort())) {
                if (stagedMappings.containsKey(otherId)) {
                    continue; // its new version (if any) is one of the puts, checked above
                }
                Mapping other = Mapping.of(otherId, doc.get(ConfigCollection.MAPPINGS, otherId));
                if (ListenAddress.reaches(other.backendHost(), m.listenHost())) {
                    throw new InvalidChangeException(p.at() + ".value.listenPort: " + m.listenPort()
                            + " (expected: not the backend " + other.backendHost() + ":" + other.backendPort()
                            + " of mapping '" + otherId + "': that mapping would forward into this node's own listener,"
                            + " a loop that exhausts file descriptors)");
                }
            }
        }
    }

    private static InvalidChangeException loop(String at, Mapping m, String listenerId, String listenHost) {
        String whose = listenerId.equals(m.id()) ? "this mapping itself" : "mapping '" + listenerId + "'";
        return new InvalidChangeException(at + ": " + m.backendHost() + ":" + m.backendPort()
                + " (expected: a backend that is not a listen address of this node; " + whose + " listens on "
                + listenHost + ":" + m.backendPort() + ", so every connection would loop back into the node"
                + " until it runs out of file descriptors)");
    }

    private static int port(String at, JsonNode n) throws InvalidChangeException {
        if (n == null || n.isNull()) {
            throw new InvalidChangeException(at + ": missing (expected: a port 1..65535)");
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 1 || n.asInt() > 65535) {
            throw new InvalidChangeException(at + ": " + abbreviate(n) + " (expected: a port 1..65535)");
        }
        return n.asInt();
    }

    private static String host(String at, JsonNode n) throws InvalidChangeException {
        if (n == null || n.isNull()) {
            throw new InvalidChangeException(at + ": missing (expected: a host name or IP address)");
        }
        String h = n.isTextual() ? n.asText() : null;
        if (h == null || !(HOSTNAME.matcher(h).matches() || (h.indexOf(':') >= 0 && IPV6.matcher(h).matches()))) {
            throw new InvalidChangeException(at + ": " + abbreviate(n) + " (expected: a host name or IP address)");
        }
        return h;
    }

    private static JsonNode user(String at, JsonNode v) throws InvalidChangeException {
        if (!v.isObject()) {
            throw new InvalidChangeException(at + ".value: " + abbreviate(v) + " (expected: an object with passwordHash)");
        }
        var names = v.fieldNames();
        while (names.hasNext()) {
            String f = names.next();
            if (!"passwordHash".equals(f)) {
                throw new InvalidChangeException(at + ".value." + f
                        + ": unknown field (expected: only passwordHash; passwords are never stored)");
            }
        }
        JsonNode h = v.get("passwordHash");
        if (h == null || !h.isTextual() || !PBKDF2_HASH.matcher(h.asText()).matches()) {
            throw new InvalidChangeException(at + ".value.passwordHash: " + (h == null ? "missing" : "not a hash")
                    + " (expected: pbkdf2-sha256$ITERATIONS$SALT$HASH; passwords are never stored)");
        }
        return v;
    }

    private static JsonNode setting(String at, String id, JsonNode v) throws InvalidChangeException {
        int size = Json.canonical(v).length;
        if (size > MAX_SETTING_BYTES) {
            throw new InvalidChangeException(at + ".value: " + size + " bytes (expected: at most " + MAX_SETTING_BYTES + ")");
        }
        if (DataPlaneMode.SETTING_KEY.equals(id)) {
            try {
                // stored in its canonical spelling, so every node reads the same mode
                return TextNode.valueOf(DataPlaneMode.ofSetting(v).wireName());
            } catch (IllegalArgumentException e) {
                throw new InvalidChangeException(at + ".value: " + v
                        + " (expected: \"active-standby\" or \"active-active\" for settings/dataPlane)");
            }
        }
        return v;
    }

    private static String abbreviate(JsonNode n) {
        String s = n.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
