package dev.understudy.dist.testing;

import dev.understudy.common.home.HomeInitializer;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.Role;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.time.Instant;

/** Node homes for in-JVM tests: loopback only, ports chosen by the OS at start. */
public final class TestHomes {

    public static final String PASSWORD = "correct horse battery";

    private TestHomes() {}

    public static NodeHome master(Path dir, String nodeId) throws IOException {
        return HomeInitializer.create(dir, new HomeInitializer.Request(nodeId, Role.MASTER, "127.0.0.1", 0,
                "127.0.0.1", 0, "admin", PASSWORD.toCharArray(), null), Instant.now());
    }

    public static NodeHome shadow(Path dir, String nodeId, String masterAddress) throws IOException {
        return HomeInitializer.create(dir, new HomeInitializer.Request(nodeId, Role.SHADOW, "127.0.0.1", 0,
                "127.0.0.1", 0, "admin", PASSWORD.toCharArray(), masterAddress), Instant.now());
    }

    /**
     * {@code understudy init} of a home for a real process (loopback, OS-chosen ports, admin password
     * {@link #PASSWORD} written to {@code passwordFile} if missing); {@code role} is master or shadow.
     */
    public static Path initProcessHome(Path dir, String nodeId, String role, Path passwordFile)
            throws IOException, InterruptedException {
        if (!Files.exists(passwordFile)) {
            Files.writeString(passwordFile, PASSWORD + "\n", StandardCharsets.UTF_8);
        }
        NodeProcess.ok("init", "--home", dir.toString(), "--role", role, "--admin-port", "0", "--ha-port", "0",
                "--non-interactive", "--admin-password-file", passwordFile.toString(), "--node-id", nodeId);
        return dir;
    }

    /** The SHA-256 fingerprint of the node certificate in {@code home}, as `attach --master-fingerprint` takes it. */
    public static String fingerprint(Path home) throws IOException {
        return dev.understudy.common.cert.Certificates.fingerprint(
                dev.understudy.common.cert.Certificates.readCertificate(new NodeHome(home).nodeCrt()));
    }

    /**
     * Overrides node-local settings in {@code home}/node.json before {@code run}, e.g.
     * {@code Map.of("heartbeatInterval", "100ms", "takeoverDelay", "1s")}.
     */
    public static void editNodeJson(Path home, Map<String, String> values) throws IOException {
        Path f = home.resolve("node.json");
        ObjectNode n = (ObjectNode) Json.tree(Files.readString(f, StandardCharsets.UTF_8));
        values.forEach(n::put);
        Files.writeString(f, Json.pretty(n), StandardCharsets.UTF_8);
    }
}
