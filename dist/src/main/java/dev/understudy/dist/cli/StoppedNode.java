package dev.understudy.dist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.NodeState;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.dist.admin.ConfigView;
import dev.understudy.dist.node.RunFile;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the home of a node that is not running holds, for {@code status}, {@code alerts} and {@code config get}:
 * the role, epoch and revision it will start with, its durable alerts and its configuration. Everything it
 * prints is marked "node not running", so nobody mistakes it for the live view.
 */
final class StoppedNode {

    static final String MARK = "node not running";

    private final HomeOption home;
    private final NodeHome h;

    private StoppedNode(HomeOption home) {
        this.home = home;
        this.h = home.nodeHome();
    }

    /** The home's stopped node, or empty when a node runs there (then ask its admin API). */
    static Optional<StoppedNode> of(HomeOption home) {
        NodeHome h = home.nodeHome();
        if (!Files.exists(h.nodeJson())) {
            return Optional.empty(); // not a home: the admin client says so
        }
        try {
            Optional<RunFile> run = RunFile.read(h.root());
            return run.isPresent() && run.get().processAlive() ? Optional.empty() : Optional.of(new StoppedNode(home));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The status document as a running node would give it, from the files; {@code running: false}. */
    ObjectNode status() {
        try {
            NodeSettings settings = h.loadSettings();
            NodeState state = h.loadState();
            ObjectNode s = Json.object();
            s.put("nodeId", settings.nodeId());
            s.put("role", state.role().wireName());
            s.put("state", "NOT_RUNNING");
            s.put("running", false);
            s.put("note", MARK + ": what " + home.shown() + " holds; start it with `understudy run --home " + home.shown() + "`");
            s.put("active", false);
            s.put("writable", false);
            s.put("epoch", state.epoch());
            withStore(store -> {
                s.put("revision", store.revision());
                s.put("configHash", store.hash());
                return null;
            });
            ObjectNode peer = s.putObject("peer");
            peer.put("nodeId", settings.peerNodeId());
            peer.put("address", settings.peerAddress());
            peer.putNull("state");
            peer.putNull("revision");
            peer.putNull("lagRevisions");
            peer.putNull("lastHeartbeatMillisAgo");
            peer.put("connected", false);
            s.put("adminPort", settings.adminPort());
            s.put("haPort", settings.haPort());
            ObjectNode local = s.putObject("settings");
            local.put("scope", "node-local");
            local.put("source", h.nodeJson().toString());
            ObjectNode values = local.putObject("values");
            settings.describe().forEach(values::put);
            ObjectNode replicated = s.putObject("replicated");
            replicated.put("scope", "replicated");
            replicated.put("revision", s.path("revision").asLong());
            replicated.put("identicalOnPeer", false);
            ObjectNode counts = replicated.putObject("collections");
            withStore(store -> store.read(doc -> {
                for (ConfigCollection c : ConfigCollection.values()) {
                    counts.put(c.wireName(), doc.entries(c).size());
                }
                return null;
            }));
            s.put("activeAlerts", alerts(false).size());
            return s;
        } catch (IOException e) {
            throw CliException.failed(e.getMessage());
        }
    }

    /** The durable alerts (open and not acknowledged, or all), as {@code alerts --json} prints them. */
    JsonNode alerts(boolean all) {
        try {
            return Json.mapper().valueToTree(AlertStore.open(h.alertsJson(), Clock.system()).list(all));
        } catch (IOException e) {
            throw CliException.failed(h.alertsJson() + ": " + e.getMessage());
        }
    }

    /** The configuration as {@code GET /api/v1/config[/COLLECTION[/ID]]} gives it. */
    JsonNode config(String collection, String id) {
        return withStore(store -> store.read(doc -> {
            if (collection == null) {
                return ConfigView.all(doc, store.revision(), store.hash());
            }
            ConfigCollection c = ConfigCollection.of(collection);
            if (id == null) {
                return ConfigView.collection(c, doc.entries(c));
            }
            JsonNode v = ConfigView.entry(doc, c, id);
            if (v == null) {
                throw CliException.failed(c.wireName() + "/" + id + ": no such entry (expected: an existing id; see"
                        + " `understudy config get --home " + home.shown() + " " + c.wireName() + "`)");
            }
            return v;
        }));
    }

    private <T> T withStore(Function<ConfigStore, T> reader) {
        try (ConfigStore store = ConfigStore.open(h.configDir())) {
            return reader.apply(store);
        } catch (IOException e) {
            throw CliException.failed(h.configDir() + ": " + e.getMessage());
        }
    }
}
