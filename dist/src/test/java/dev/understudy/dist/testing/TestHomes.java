package dev.understudy.dist.testing;

import dev.understudy.common.home.HomeInitializer;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.Role;
import java.io.IOException;
import java.nio.file.Path;
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
}
