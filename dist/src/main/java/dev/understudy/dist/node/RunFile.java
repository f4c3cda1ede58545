package dev.understudy.dist.node;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code <home>/run.json}: what a running node actually bound, so the CLI finds it when node.json
 * says port 0. Written atomically once the node serves; removed on a clean stop. A file left by a
 * killed node names a pid that is gone.
 *
 * @param pid       the node's process id
 * @param adminPort the admin port actually bound
 * @param haPort    the HA port (as configured until the HA listener reports its bound port)
 * @param startedAt ISO-8601 instant the node started serving
 */
public record RunFile(
        @JsonProperty("pid") long pid,
        @JsonProperty("adminPort") int adminPort,
        @JsonProperty("haPort") int haPort,
        @JsonProperty("startedAt") String startedAt) {

    public static final String NAME = "run.json";

    public static Path path(Path home) {
        return home.resolve(NAME);
    }

    public void write(Path home) throws IOException {
        AtomicFiles.write(path(home), Json.toBytes(this));
    }

    /** The run file of {@code home}, if there is a readable one. */
    public static Optional<RunFile> read(Path home) throws IOException {
        Path p = path(home);
        if (!Files.exists(p)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.read(Files.readAllBytes(p), RunFile.class));
        } catch (IOException e) {
            throw new IOException(p + ": " + e.getMessage() + " (expected: the file a running node writes; delete it if no node runs)", e);
        }
    }

    /** Whether the process named by this file is still alive. */
    public boolean processAlive() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    public static void delete(Path home) throws IOException {
        Files.deleteIfExists(path(home));
    }
}
