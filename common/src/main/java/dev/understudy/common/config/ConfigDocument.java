package dev.understudy.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The replicated configuration document: one sorted map of entries per collection, with its
 * incremental hash kept up to date on every change. Values are treated as immutable once stored.
 * Not thread-safe: the store serializes access.
 */
public final class ConfigDocument {

    private final EnumMap<ConfigCollection, TreeMap<String, JsonNode>> collections = new EnumMap<>(ConfigCollection.class);
    private ConfigHash hash = new ConfigHash();
    // listenPort -> (listenHost -> mapping id), so a conflict check does not scan every mapping
    private final Map<Integer, Map<String, String>> listenIndex = new HashMap<>();
    // backendPort -> ids of the mappings forwarding to it, so a forwarding-loop check does not scan either
    private final Map<Integer, Set<String>> backendIndex = new HashMap<>();

    public ConfigDocument() {
        for (ConfigCollection c : ConfigCollection.values()) {
            collections.put(c, new TreeMap<>());
        }
    }

    /** Validates {@code changes} against this document; returns the normalized ops or throws. */
    public ChangeSet validate(ChangeSet changes) throws InvalidChangeException {
        return ChangeValidator.validate(this, changes);
    }

    /** Applies an already validated change set. */
    public void apply(ChangeSet changes) {
        for (ChangeOp op : changes.ops()) {
            ConfigCollection c = ConfigCollection.of(op.collection());
            if (op.isPut()) {
                put(c, op.id(), op.value());
            } else {
                remove(c, op.id());
            }
        }
    }

    /** Applies a validated change set and returns how to take it back. */
    public Undo applyWithUndo(ChangeSet changes) {
        List<Runnable> steps = new ArrayList<>(changes.ops().size());
        for (ChangeOp op : changes.ops()) {
            ConfigCollection c = ConfigCollection.of(op.collection());
            JsonNode old = get(c, op.id());
            steps.add(old == null ? () -> remove(c, op.id()) : () -> put(c, op.id(), old));
            if (op.isPut()) {
                put(c, op.id(), op.value());
            } else {
                remove(c, op.id());
            }
        }
        return () -> {
            for (int i = steps.size() - 1; i >= 0; i--) {
                steps.get(i).run();
            }
        };
    }

    /** Takes back one {@link #applyWithUndo(ChangeSet)}. */
    @FunctionalInterface
    public interface Undo {
        void revert();
    }

    public void put(ConfigCollection c, String id, JsonNode value) {
        JsonNode old = collections.get(c).put(id, value);
        if (old != null) {
            hash.remove(c, id, old);
        }
        hash.add(c, id, value);
        if (c == ConfigCollection.MAPPINGS) {
            if (old != null) {
                unindex(Mapping.of(id, old));
            }
            Mapping m = Mapping.of(id, value);
            listenIndex.computeIfAbsent(m.listenPort(), p -> new HashMap<>(2)).put(m.listenHost(), id);
            backendIndex.computeIfAbsent(m.backendPort(), p -> new HashSet<>(2)).add(id);
        }
    }

    public void remove(ConfigCollection c, String id) {
        JsonNode old = collections.get(c).remove(id);
        if (old != null) {
            hash.remove(c, id, old);
            if (c == ConfigCollection.MAPPINGS) {
                unindex(Mapping.of(id, old));
            }
        }
    }

    private void unindex(Mapping m) {
        Map<String, String> hosts = listenIndex.get(m.listenPort());
        if (hosts != null) {
            hosts.remove(m.listenHost(), m.id());
            if (hosts.isEmpty()) {
                listenIndex.remove(m.listenPort());
            }
        }
        Set<String> ids = backendIndex.get(m.backendPort());
        if (ids != null) {
            ids.remove(m.id());
            if (ids.isEmpty()) {
                backendIndex.remove(m.backendPort());
            }
        }
    }

    public JsonNode get(ConfigCollection c, String id) {
        return collections.get(c).get(id);
    }

    public SortedMap<String, JsonNode> entries(ConfigCollection c) {
        return Collections.unmodifiableSortedMap(collections.get(c));
    }

    /** listenHost -> mapping id of the mappings on {@code port}; empty when none. */
    Map<String, String> mappingsOnPort(int port) {
        return listenIndex.getOrDefault(port, Map.of());
    }

    /** Ids of the mappings whose backend port is {@code port}; empty when none. */
    Set<String> mappingsWithBackendPort(int port) {
        return backendIndex.getOrDefault(port, Set.of());
    }

    public List<Mapping> mappings() {
        List<Mapping> out = new ArrayList<>(collections.get(ConfigCollection.MAPPINGS).size());
        collections.get(ConfigCollection.MAPPINGS).forEach((id, v) -> out.add(Mapping.of(id, v)));
        return out;
    }

    public int size() {
        int n = 0;
        for (TreeMap<String, JsonNode> m : collections.values()) {
            n += m.size();
        }
        return n;
    }

    public String hash() {
        return hash.toHex();
    }

    /** A copy sharing the (never mutated) values: O(entries), no re-hashing. */
    public ConfigDocument copy() {
        ConfigDocument d = new ConfigDocument();
        collections.forEach((c, m) -> d.collections.get(c).putAll(m));
        listenIndex.forEach((port, hosts) -> d.listenIndex.put(port, new HashMap<>(hosts)));
        backendIndex.forEach((port, ids) -> d.backendIndex.put(port, new HashSet<>(ids)));
        d.hash = hash.copy();
        return d;
    }

    /** {"mappings": {...}, "users": {...}, "settings": {...}}. */
    public ObjectNode toJson() {
        ObjectNode root = Json.object();
        collections.forEach((c, m) -> {
            ObjectNode n = root.putObject(c.wireName());
            m.forEach(n::set);
        });
        return root;
    }

    /** One entry of a document being read. */
    @FunctionalInterface
    private interface EntrySink {
        void accept(ConfigCollection c, String id, JsonNode value) throws InvalidChangeException;
    }

    /** Walks {"collection": {"id": value}} checking the structure; each entry goes to {@code sink}. */
    private static void forEachEntry(JsonNode root, EntrySink sink) throws InvalidChangeException {
        if (root == null || !root.isObject()) {
            throw new InvalidChangeException("document: expected a JSON object of collections");
        }
        for (var f : root.properties()) {
            ConfigCollection c;
            try {
                c = ConfigCollection.of(f.getKey());
            } catch (IllegalArgumentException e) {
                throw new InvalidChangeException("document." + e.getMessage());
            }
            if (!f.getValue().isObject()) {
                throw new InvalidChangeException("document." + c.wireName() + ": expected a JSON object of entries");
            }
            for (var e : f.getValue().properties()) {
                sink.accept(c, e.getKey(), e.getValue());
            }
        }
    }

    /**
     * Reads a document this node wrote itself (a snapshot), without re-validating every entry: the
     * caller checks the recomputed hash against the one recorded with it, which detects any damage.
     * Only the structure is checked here.
     */
    public static ConfigDocument fromTrustedJson(JsonNode root) throws InvalidChangeException {
        ConfigDocument d = new ConfigDocument();
        forEachEntry(root, (c, id, value) -> {
            if (c == ConfigCollection.MAPPINGS && !value.isObject()) {
                throw new InvalidChangeException("document.mappings." + id + ": expected an object");
            }
            d.put(c, id, value);
        });
        return d;
    }

    /** Reads a document written by {@link #toJson()}; entries are validated as a change set would be. */
    public static ConfigDocument fromJson(JsonNode root) throws InvalidChangeException {
        List<ChangeOp> ops = new ArrayList<>();
        forEachEntry(root, (c, id, value) -> ops.add(ChangeOp.put(c, id, value)));
        ConfigDocument d = new ConfigDocument();
        if (!ops.isEmpty()) {
            d.apply(ChangeValidator.validate(d, new ChangeSet(ops), Integer.MAX_VALUE));
        }
        return d;
    }
}
