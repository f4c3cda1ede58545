package dev.understudy.common.home;

import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The layout of a node's home directory (DESIGN.md §2) and the small files in it.
 * <pre>
 * node.json  state.json  tls/{node.key,node.crt,peer.crt}  config/  alerts.json  events.log  admin.token
 * hooks/on-role-change  orphaned/
 * </pre>
 */
public final class NodeHome {

    private final Path root;

    public NodeHome(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    public Path nodeJson() {
        return root.resolve("node.json");
    }

    public Path stateJson() {
        return root.resolve("state.json");
    }

    public Path tlsDir() {
        return root.resolve("tls");
    }

    public Path nodeKey() {
        return tlsDir().resolve("node.key");
    }

    public Path nodeCrt() {
        return tlsDir().resolve("node.crt");
    }

    public Path peerCrt() {
        return tlsDir().resolve("peer.crt");
    }

    public Path configDir() {
        return root.resolve("config");
    }

    public Path alertsJson() {
        return root.resolve("alerts.json");
    }

    public Path eventsLog() {
        return root.resolve("events.log");
    }

    public Path adminToken() {
        return root.resolve("admin.token");
    }

    /** The local admin socket (UNIX domain, mode 0600) of a running node, for the CLI on this machine. */
    public Path adminSocket() {
        return root.resolve("admin.sock");
    }

    public Path roleChangeHook() {
        return root.resolve("hooks").resolve("on-role-change");
    }

    /** Where the changes a demoted master had but its successor never acknowledged are written. */
    public Path orphanedDir() {
        return root.resolve("orphaned");
    }

    /** A home exists when its node.json does. */
    public boolean exists() {
        return Files.exists(nodeJson());
    }

    /** Reads node.json; a problem names the file and the field. */
    public NodeSettings loadSettings() throws IOException {
        if (!Files.exists(nodeJson())) {
            throw new IOException(nodeJson() + ": not found (expected: a node home; create one with `understudy init --home "
                    + root + "`)");
        }
        try {
            return NodeSettings.fromJson(Json.tree(Files.readAllBytes(nodeJson())));
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(nodeJson() + ": " + Json.describe(e) + "; correct the file (see `understudy status`"
                    + " on a working node for the fields) and start again", e);
        }
    }

    public void saveSettings(NodeSettings s) throws IOException {
        AtomicFiles.write(nodeJson(), Json.pretty(s.toJson()).getBytes(StandardCharsets.UTF_8));
    }

    public NodeState loadState() throws IOException {
        return NodeState.load(stateJson());
    }

    public void saveState(NodeState s) throws IOException {
        s.save(stateJson());
    }

    /** Creates a new random admin token, mode 0600, replacing any old one. */
    public String newAdminToken() throws IOException {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        AtomicFiles.write(adminToken(), (token + "\n").getBytes(StandardCharsets.US_ASCII), AtomicFiles.OWNER_ONLY);
        return token;
    }

    public String readAdminToken() throws IOException {
        if (!Files.exists(adminToken())) {
            throw new IOException(adminToken() + ": not found (expected: the admin token written by `understudy init`)");
        }
        return Files.readString(adminToken(), StandardCharsets.US_ASCII).trim();
    }

    public EventLog eventLog() {
        return new EventLog(eventsLog());
    }
}
