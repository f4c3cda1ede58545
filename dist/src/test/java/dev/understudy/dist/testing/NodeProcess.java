package dev.understudy.dist.testing;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.json.Json;
import dev.understudy.dist.node.RunFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code understudy run} process of the assembled distribution, for process-level tests
 * (*IT). Start nodes through a {@link Fleet} and close it in {@code @AfterEach}: every process it
 * started is killed, even when the test failed.
 */
public final class NodeProcess {

    /** How long a node may take from exec to "ready" on a loaded CI machine. */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    /** How long one CLI command may take. */
    public static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);

    private final Path home;
    private final Path log;
    private final Process process;

    private NodeProcess(Path home, Path log, Process process) {
        this.home = home;
        this.log = log;
        this.process = process;
    }

    /** bin/understudy of the distribution under test (failsafe sets {@code understudy.dist}). */
    public static Path launcher() {
        String dist = System.getProperty("understudy.dist");
        if (dist == null) {
            throw new IllegalStateException("understudy.dist: not set (expected: run by failsafe after `mvn package`, "
                    + "or -Dunderstudy.dist=dist/target/understudy)");
        }
        Path p = Path.of(dist, "bin", "understudy");
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException(p + ": not an executable launcher (expected: run `mvn -pl dist package` first)");
        }
        return p;
    }

    /** The outcome of one CLI command. */
    public record CliResult(int exit, String out, String err) {
        public JsonNode json() throws IOException {
            return Json.tree(out);
        }

        @Override
        public String toString() {
            return "exit " + exit + ", stdout: " + out + ", stderr: " + err;
        }
    }

    /** Runs {@code understudy ARGS...} to completion, capturing stdout, stderr and the exit code. */
    public static CliResult cli(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher().toString());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("understudy-cli", ".out");
        Path err = Files.createTempFile("understudy-cli", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(CLI_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("`understudy " + String.join(" ", args) + "` did not finish within " + CLI_TIMEOUT);
            }
            return new CliResult(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs a CLI command that must succeed; fails the test with its output otherwise. */
    public static CliResult ok(String... args) throws IOException, InterruptedException {
        CliResult r = cli(args);
        if (r.exit() != 0) {
            throw new AssertionError("`understudy " + String.join(" ", args) + "` failed: " + r);
        }
        return r;
    }

    public Path home() {
        return home;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** What the node logged so far (stdout and stderr). */
    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Waits until this process has written run.json and logged "ready"; fails fast if it exits. */
    public RunFile awaitReady() {
        await("node " + home + " ready").atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("node exited with " + process.exitValue() + " before it was ready; log:\n" + log());
            }
            Optional<RunFile> run = readRunFile();
            return run.isPresent() && run.get().pid() == process.pid() && log().contains(" ready: ");
        });
        return readRunFile().orElseThrow();
    }

    private Optional<RunFile> readRunFile() {
        try {
            return RunFile.read(home);
        } catch (IOException e) {
            return Optional.empty(); // being replaced right now
        }
    }

    /** SIGKILL by pid (no shutdown hooks run); returns the exit code (137). */
    public int kill() throws InterruptedException {
        process.destroyForcibly();
        return awaitExit();
    }

    /** SIGTERM by pid (a clean stop); returns the exit code. */
    public int terminate() throws InterruptedException {
        process.destroy();
        return awaitExit();
    }

    /** Sends {@code signal} (e.g. STOP, CONT) to this process by pid. */
    public void signal(String signal) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    private int awaitExit() throws InterruptedException {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("node " + process.pid() + " did not exit within 30s");
        }
        return process.exitValue();
    }

    // ------------------------------------------------------------------ probes (direct HTTPS, no CLI start-up)

    /** The admin port of the running process (from run.json, which it wrote when ready). */
    public int adminPort() {
        return readRunFile().filter(r -> r.pid() == process.pid())
                .orElseThrow(() -> new AssertionError("node " + home + " has no run.json of pid " + process.pid()))
                .adminPort();
    }

    /** The HA port of the running process (from run.json). */
    public int haPort() {
        return readRunFile().filter(r -> r.pid() == process.pid())
                .orElseThrow(() -> new AssertionError("node " + home + " has no run.json of pid " + process.pid()))
                .haPort();
    }

    /**
     * GET /healthz on this node's admin port: the HTTP status, or -1 when nothing answered within about a
     * two seconds (process paused, gone or not listening).
     */
    public int healthz() {
        return AdminProbe.healthz(adminPort(), home);
    }

    /** GET /api/v1/status with the home's admin.token (fast: no CLI JVM start). */
    public JsonNode status() throws IOException {
        return AdminProbe.status(adminPort(), home);
    }

    /** {@link #status()}, or null while the node does not answer. */
    public JsonNode statusOrNull() {
        try {
            return status();
        } catch (IOException e) {
            return null;
        }
    }

    /** Waits until {@code status.state} is {@code state}; returns that status. */
    public JsonNode awaitState(String state, Duration atMost) {
        JsonNode[] last = new JsonNode[1];
        await("node " + home + " in state " + state).atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("node exited with " + process.exitValue() + "; log:\n" + log());
            }
            last[0] = statusOrNull();
            return last[0] != null && state.equals(last[0].path("state").asText());
        });
        return last[0];
    }

    /**
     * Whether this very process holds a listening TCP socket on {@code port} (Linux: /proc/net/tcp{,6}
     * matched against the process's socket descriptors). Two nodes on one test host share the mapping's
     * listen address, so "someone accepts on the port" does not say which node serves; this does.
     */
    public boolean listensOn(int port) throws IOException {
        java.util.Set<String> inodes = new java.util.HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path t = Path.of(table);
            if (!Files.exists(t)) {
                continue;
            }
            List<String> lines = Files.readAllLines(t, StandardCharsets.US_ASCII);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                String local = f[1];
                int p = Integer.parseInt(local.substring(local.indexOf(':') + 1), 16);
                if (p == port && f[3].equals("0A")) { // 0A = LISTEN
                    inodes.add(f[9]);
                }
            }
        }
        if (inodes.isEmpty()) {
            return false;
        }
        Path fds = Path.of("/proc", Long.toString(process.pid()), "fd");
        try (var list = Files.list(fds)) {
            for (Path fd : (Iterable<Path>) list::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[") && inodes.contains(target.substring(8, target.length() - 1))) {
                        return true;
                    }
                } catch (IOException e) {
                    // descriptor closed meanwhile
                }
            }
        }
        return false;
    }

    /** The lines of this home's events.log (role changes), parsed. */
    public List<JsonNode> events() throws IOException {
        return eventsOf(home);
    }

    /** The lines of {@code home}/events.log, parsed; empty when there is none. */
    public static List<JsonNode> eventsOf(Path home) throws IOException {
        Path f = home.resolve("events.log");
        List<JsonNode> out = new ArrayList<>();
        if (Files.exists(f)) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(Json.tree(line));
                }
            }
        }
        return out;
    }

    /** The nodes a test started; {@link #close()} kills whatever still runs. */
    public static final class Fleet implements AutoCloseable {

        private final List<NodeProcess> started = new ArrayList<>();

        /** Starts {@code understudy run --home HOME}, logging to HOME/../NAME-N.log. */
        public NodeProcess start(Path home) throws IOException {
            return start(home, java.util.Map.of());
        }

        /**
         * As {@link #start(Path)}, with extra environment variables for the node process (e.g. LD_PRELOAD and
         * FAKETIME of libfaketime to skew its clock; the launcher execs java, so the pid stays the node's).
         */
        public NodeProcess start(Path home, java.util.Map<String, String> env) throws IOException {
            Path log = home.resolveSibling(home.getFileName() + "-run-" + (started.size() + 1) + ".log");
            ProcessBuilder b = new ProcessBuilder(launcher().toString(), "run", "--home", home.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            b.environment().putAll(env);
            Process p = b.start();
            NodeProcess n = new NodeProcess(home, log, p);
            started.add(n);
            return n;
        }

        @Override
        public void close() throws InterruptedException {
            for (NodeProcess n : started) {
                if (n.process.isAlive()) {
                    n.process.destroyForcibly();
                    n.process.waitFor(30, TimeUnit.SECONDS);
                }
            }
            started.clear();
        }
    }

    /** A fresh directory under target/ for one test's homes. */
    public static Path newWorkDir(String name) throws IOException {
        Path base = Path.of("target", "it-homes");
        Files.createDirectories(base);
        return Files.createTempDirectory(base, name + "-").toAbsolutePath();
    }
}
