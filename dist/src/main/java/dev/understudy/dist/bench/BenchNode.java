package dev.understudy.dist.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.Durations;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.json.Json;
import dev.understudy.dist.client.AdminClient;
import dev.understudy.dist.node.RunFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One node as a separate process, for the benchmarks: its home, its {@code understudy run} process and a
 * client of its admin API (short timeouts: a stopped or killed node must not hold a measurement up).
 */
public final class BenchNode {

    private static final Duration READY = Duration.ofSeconds(60);
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final long POLL_NANOS = 1_000_000L;
    private static final int CLIENT_TIMEOUT_MS = 1_000;

    private final Path launcher;
    private final Path home;
    private Process process;
    private AdminClient client;

    public BenchNode(Path launcher, Path home) {
        this.launcher = launcher;
        this.home = home;
    }

    public Path home() {
        return home;
    }

    public void init(String nodeId, String role, Path password) throws IOException, InterruptedException {
        exec(List.of(launcher.toString(), "init", "--home", home.toString(), "--role", role, "--admin-port", "0",
                "--ha-port", "0", "--non-interactive", "--admin-password-file", password.toString(), "--node-id", nodeId));
    }

    public void setTimings(Duration heartbeat, Duration takeover) throws IOException {
        if (heartbeat == null && takeover == null) {
            return;
        }
        Path f = home.resolve("node.json");
        ObjectNode n = (ObjectNode) Json.tree(Files.readAllBytes(f));
        if (heartbeat != null) {
            n.put("heartbeatInterval", Durations.format(heartbeat));
        }
        if (takeover != null) {
            n.put("takeoverDelay", Durations.format(takeover));
        }
        AtomicFiles.write(f, Json.pretty(n).getBytes(StandardCharsets.UTF_8));
    }

    public void cli(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString(), args[0]));
        int i = 1;
        if (args[0].equals("mapping") || args[0].equals("config")) {
            cmd.add(args[1]);
            i = 2;
        }
        cmd.add("--home");
        cmd.add(home.toString());
        cmd.addAll(Arrays.asList(args).subList(i, args.length));
        exec(cmd);
    }

    private void exec(List<String> cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile(home.getParent(), "cli", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            if (!p.waitFor(STEP.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + ": did not finish within " + STEP.toSeconds() + " s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": "
                        + Files.readString(out, StandardCharsets.UTF_8).strip());
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    public void start() throws IOException {
        Path log = home.resolveSibling(home.getFileName() + ".log");
        process = new ProcessBuilder(launcher.toString(), "run", "--home", home.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        client = null;
    }

    public void awaitReady() throws IOException {
        Clock clock = Clock.system();
        long deadline = clock.nanoTime() + READY.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("node " + home + " exited with " + process.exitValue()
                        + " before it was ready (see " + home.getFileName() + ".log)");
            }
            Optional<RunFile> run;
            try {
                run = RunFile.read(home);
            } catch (IOException e) {
                run = Optional.empty(); // being replaced right now
            }
            if (run.isPresent() && run.get().pid() == process.pid()) {
                client = AdminClient.https(home, run.get().adminPort(), CLIENT_TIMEOUT_MS);
                return;
            }
            if (clock.nanoTime() > deadline) {
                throw new IllegalStateException("node " + home + " not ready within " + READY.toSeconds() + " s");
            }
            LockSupport.parkNanos(20 * POLL_NANOS);
        }
    }

    public int haPort() throws IOException {
        return RunFile.read(home).orElseThrow().haPort();
    }

    public int healthz() {
        return client == null ? -1 : client.healthz();
    }

    public JsonNode status() throws IOException {
        return client.ok(client.get("/api/v1/status"));
    }

    public JsonNode statusOrNull() {
        try {
            return client == null ? null : status();
        } catch (IOException e) {
            return null;
        }
    }

    /** The node's process id (after {@link #start()}). */
    public long pid() {
        return process.pid();
    }

    /** SIGTERM, as an operator stops a node, and waits until it has exited. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + home + " did not stop within 30 s of SIGTERM");
        }
    }

    public void kill() throws InterruptedException {
        process.destroyForcibly(); // SIGKILL: no shutdown hook runs
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + home + " survived SIGKILL for 30 s");
        }
    }

    public void signal(String signal) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    public void destroy() throws InterruptedException {
        if (process != null && process.isAlive()) {
            try {
                signal("CONT");
            } catch (IOException | RuntimeException e) {
                // best effort: SIGKILL below works on a stopped process too
            }
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
