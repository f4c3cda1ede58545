package dev.understudy.dist.testing;

import static dev.understudy.dist.testing.NodeProcess.ok;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;
import dev.understudy.dist.node.RunFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A master and a shadow as real {@code understudy run} processes on loopback, initialised with
 * the CLI and paired with {@code understudy attach} (which returns once the shadow is in sync).
 * The processes belong to the given {@link NodeProcess.Fleet}: close it in {@code @AfterEach}.
 */
public final class PairedNodes {

    public static final String ADMIN_USER = "admin";
    public static final String ADMIN_PASSWORD = "it-admin-password";

    /** node.json fields that init leaves out while unset. */
    private static final java.util.Set<String> OPTIONAL_FIELDS = java.util.Set.of("dataPlane", "dataPlaneBindHost");

    private final Path work;
    private final Path passwordFile;
    private final NodeProcess master;
    private final NodeProcess shadow;
    private final RunFile masterRun;
    private final RunFile shadowRun;

    private PairedNodes(Path work, Path passwordFile, NodeProcess master, NodeProcess shadow, RunFile masterRun,
            RunFile shadowRun) {
        this.work = work;
        this.passwordFile = passwordFile;
        this.master = master;
        this.shadow = shadow;
        this.masterRun = masterRun;
        this.shadowRun = shadowRun;
    }

    /** Initialises, starts and pairs {@code NAME-master} and {@code NAME-shadow} under a fresh work directory. */
    public static PairedNodes start(NodeProcess.Fleet fleet, String name) throws IOException, InterruptedException {
        return start(fleet, name, Map.of());
    }

    /**
     * As {@link #start(NodeProcess.Fleet, String)}, with node-local settings of both nodes' node.json
     * (e.g. {@code takeoverDelay -> "30s"}) replaced before they run.
     */
    public static PairedNodes start(NodeProcess.Fleet fleet, String name, Map<String, String> nodeSettings)
            throws IOException, InterruptedException {
        return start(fleet, name, nodeSettings, nodeSettings);
    }

    /** As {@link #start(NodeProcess.Fleet, String, Map)}, with different node.json settings per node. */
    public static PairedNodes start(NodeProcess.Fleet fleet, String name, Map<String, String> masterSettings,
            Map<String, String> shadowSettings) throws IOException, InterruptedException {
        Path work = NodeProcess.newWorkDir(name);
        Path password = work.resolve("admin-password");
        Files.writeString(password, ADMIN_PASSWORD + "\n");
        Path masterHome = work.resolve("master");
        Path shadowHome = work.resolve("shadow");
        ok("init", "--home", masterHome.toString(), "--role", "master", "--admin-port", "0", "--ha-port", "0",
                "--non-interactive", "--admin-password-file", password.toString(), "--node-id", name + "-master");
        ok("init", "--home", shadowHome.toString(), "--role", "shadow", "--admin-port", "0", "--ha-port", "0",
                "--non-interactive", "--admin-password-file", password.toString(), "--node-id", name + "-shadow");
        editNodeJson(masterHome, masterSettings);
        editNodeJson(shadowHome, shadowSettings);
        NodeProcess master = fleet.start(masterHome);
        NodeProcess shadow = fleet.start(shadowHome);
        RunFile masterRun = master.awaitReady();
        RunFile shadowRun = shadow.awaitReady();
        ok("attach", "--home", shadowHome.toString(), "--master", "127.0.0.1:" + masterRun.haPort(), "--user", ADMIN_USER,
                "--password-file", password.toString(), "--master-fingerprint", TestHomes.fingerprint(masterHome));
        return new PairedNodes(work, password, master, shadow, masterRun, shadowRun);
    }

    /** Replaces string fields of HOME/node.json (node-local settings, read at `run`). */
    public static void editNodeJson(Path home, Map<String, String> fields) throws IOException {
        if (fields.isEmpty()) {
            return;
        }
        Path file = home.resolve("node.json");
        ObjectNode node = (ObjectNode) Json.tree(Files.readAllBytes(file));
        fields.forEach((k, v) -> {
            if (!node.has(k) && !OPTIONAL_FIELDS.contains(k)) {
                throw new IllegalArgumentException("node.json field: " + k + " (expected: one of " + node + ")");
            }
            node.put(k, v);
        });
        Files.writeString(file, Json.pretty(node));
    }

    public Path work() {
        return work;
    }

    public Path passwordFile() {
        return passwordFile;
    }

    public NodeProcess master() {
        return master;
    }

    public NodeProcess shadow() {
        return shadow;
    }

    public RunFile masterRun() {
        return masterRun;
    }

    public RunFile shadowRun() {
        return shadowRun;
    }

    public String masterHome() {
        return master.home().toString();
    }

    public String shadowHome() {
        return shadow.home().toString();
    }
}
