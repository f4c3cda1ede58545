package dev.understudy.dist.cli;

import dev.understudy.common.concurrent.Futures;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.HomeInitializer;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.Role;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.json.Json;
import dev.understudy.dist.node.RunFile;
import java.time.Duration;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code understudy quickstart}: a master and a shadow on loopback in one folder, paired, with a
 * sample mapping to a small built-in backend; prints what to try, runs until Ctrl-C, then stops
 * the nodes it started.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = "Run a paired master and shadow on loopback with a sample mapping, until Ctrl-C.")
final class QuickstartCommand implements Callable<Integer> {

    private final CliContext ctx;

    @Option(names = "--dir", paramLabel = "D", defaultValue = "understudy-quickstart",
            description = "folder for both node homes and their logs (default: ${DEFAULT-VALUE}); reused if it holds a previous quickstart")
    Path dir;

    private final List<Process> children = new ArrayList<>();

    QuickstartCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws Exception {
        String launcher = System.getProperty("understudy.launcher");
        if (launcher == null || !Files.isExecutable(Path.of(launcher))) {
            throw CliException.failed("quickstart must be started with the bin/understudy launcher (it starts the nodes as"
                    + " separate processes); build with `mvn -B -DskipTests package` and run dist/target/understudy/bin/understudy quickstart");
        }
        Path root = dir.toAbsolutePath().normalize();
        Path masterDir = root.resolve("master");
        Path shadowDir = root.resolve("shadow");
        Path passwordFile = root.resolve("admin-password");
        boolean reuse = new NodeHome(masterDir).exists() && new NodeHome(shadowDir).exists() && Files.exists(passwordFile);
        if (!reuse && Files.isDirectory(root)) {
            try (var s = Files.list(root)) {
                if (s.findAny().isPresent()) {
                    throw CliException.failed(root + ": exists and is not a quickstart folder (expected: a new folder;"
                            + " remove it or choose another with --dir)");
                }
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopChildren, "quickstart-cleanup"));
        CountDownLatch done = new CountDownLatch(1);

        // a small built-in backend the sample mapping forwards to
        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", x -> {
            byte[] body = ("hello from the quickstart backend at " + Instant.now()
                    + " (reached through the active Understudy node)\n").getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, body.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(body);
            }
        });
        backend.start();
        int backendPort = backend.getAddress().getPort();

        String password;
        if (reuse) {
            password = Files.readString(passwordFile).trim();
            ctx.out().println("reusing the quickstart in " + root);
        } else {
            Files.createDirectories(root);
            byte[] b = new byte[12];
            new SecureRandom().nextBytes(b);
            password = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
            AtomicFiles.write(passwordFile, (password + "\n").getBytes(StandardCharsets.UTF_8), AtomicFiles.OWNER_ONLY);
            ctx.out().println("creating a master and a shadow in " + root + " ...");
            HomeInitializer.create(masterDir, new HomeInitializer.Request("qs-master", Role.MASTER, "127.0.0.1",
                    freePort(), "127.0.0.1", freePort(), "admin", password.toCharArray(), null), Instant.now());
            HomeInitializer.create(shadowDir, new HomeInitializer.Request("qs-shadow", Role.SHADOW, "127.0.0.1",
                    freePort(), "127.0.0.1", freePort(), "admin", password.toCharArray(), null), Instant.now());
        }
        start(launcher, masterDir, root.resolve("master.log"));
        start(launcher, shadowDir, root.resolve("shadow.log"));
        RunFile master = awaitRunning(masterDir);
        RunFile shadow = awaitRunning(shadowDir);

        AdminClient shadowClient = AdminClient.forHome(HomeOption.of(shadowDir));
        AdminClient masterClient = AdminClient.forHome(HomeOption.of(masterDir));
        JsonNode shadowStatus = shadowClient.ok(shadowClient.get("/api/v1/status"));
        if (shadowStatus.path("state").asText().equals("DETACHED")) {
            ctx.out().println("pairing the shadow with the master ...");
            shadowClient.ok(shadowClient.post("/api/v1/ha/attach", Json.object()
                    .put("master", "127.0.0.1:" + master.haPort()).put("user", "admin").put("password", password)
                    // quickstart made the master itself: the shadow checks it pairs with exactly that certificate
                    .put("fingerprint", Certificates.fingerprint(Certificates.readCertificate(new NodeHome(masterDir).nodeCrt())))));
        }
        awaitState(shadowClient, "STANDBY", 60);
        int listenPort;
        JsonNode demo = masterClient.ok(masterClient.get("/api/v1/config/mappings")).path("demo");
        if (demo.isObject()) {
            listenPort = demo.path("listenPort").asInt();
            masterClient.ok(masterClient.put("/api/v1/config/mappings/demo", Json.object()
                    .put("listenHost", "127.0.0.1").put("listenPort", listenPort).put("backendHost", "127.0.0.1")
                    .put("backendPort", backendPort).put("description", "quickstart sample mapping")));
        } else {
            listenPort = freePort();
            masterClient.ok(masterClient.put("/api/v1/config/mappings/demo", Json.object()
                    .put("listenHost", "127.0.0.1").put("listenPort", listenPort).put("backendHost", "127.0.0.1")
                    .put("backendPort", backendPort).put("description", "quickstart sample mapping")));
        }
        ctx.out().println();
        ctx.out().println("Understudy quickstart is running: a master and its shadow, paired, in sync.");
        ctx.out().println();
        ctx.out().println("  web console   master https://127.0.0.1:" + master.adminPort() + "/   shadow https://127.0.0.1:"
                + shadow.adminPort() + "/");
        ctx.out().println("                (self-signed node certificates: accept the browser warning)");
        ctx.out().println("  login         user admin, password " + password + "   (also in " + passwordFile + ")");
        ctx.out().println("  sample        curl http://127.0.0.1:" + listenPort + "/    -> forwarded to a backend on port "
                + backendPort);
        ctx.out().println();
        tryBlock(launcher, root, master.pid(), listenPort).forEach(ctx.out()::println);
        ctx.out().println("Logs: " + root.resolve("master.log") + ", " + root.resolve("shadow.log"));
        ctx.out().println("Press Ctrl-C to stop both nodes.");
        ctx.out().flush();
        done.await();
        backend.stop(0);
        return 0;
    }

    /** Lines an operator can paste, in a second terminal: short relative homes, so each fits 100 columns. */
    static List<String> tryBlock(String launcher, Path root, long masterPid, int listenPort) {
        List<String> lines = new ArrayList<>();
        lines.add("Try, in a second terminal:");
        lines.add("  cd " + root);
        lines.add("  U=" + launcher);
        String[][] tries = {
            {"$U status --home master", "role, epoch, revision, peer"},
            {"$U mapping list --home shadow", "mirrored on the shadow"},
            {"$U config put --home master settings motd '\"hello\"'", "replicated: true"},
            {"kill -9 " + masterPid, "crash the master, then:"},
            {"$U status --home shadow", "the shadow took over (epoch 2)"},
            {"curl http://127.0.0.1:" + listenPort + "/", "still served, by the new master"},
            {"$U alerts --home shadow", "the FAILOVER alert"},
            {"$U run --home master >> master.log 2>&1 &", "the old master rejoins as shadow"},
            {"$U switch-roles --home shadow", "planned switch back"},
        };
        int width = 0;
        for (String[] t : tries) {
            width = Math.max(width, t[0].length());
        }
        for (String[] t : tries) {
            lines.add(String.format("  %-" + width + "s   # %s", t[0], t[1]));
        }
        return lines;
    }

    private void start(String launcher, Path home, Path log) throws IOException {
        Process p = new ProcessBuilder(launcher, "run", "--home", home.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        synchronized (children) {
            children.add(p);
        }
    }

    private RunFile awaitRunning(Path home) throws IOException {
        Clock clock = Clock.system();
        long deadline = clock.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (clock.nanoTime() < deadline) {
            Optional<RunFile> r = RunFile.read(home);
            if (r.isPresent() && r.get().processAlive()) {
                return r.get();
            }
            LockSupport.parkNanos(50_000_000L);
        }
        throw CliException.failed("the node in " + home + " did not start within 60 s; see its log next to it");
    }

    private void awaitState(AdminClient client, String state, int seconds) {
        Clock clock = Clock.system();
        long deadline = clock.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (clock.nanoTime() < deadline) {
            if (client.ok(client.get("/api/v1/status")).path("state").asText().equals(state)) {
                return;
            }
            LockSupport.parkNanos(100_000_000L);
        }
        throw CliException.failed("the shadow did not reach " + state + " within " + seconds + " s; see the logs");
    }

    private void stopChildren() {
        List<Process> ps;
        synchronized (children) {
            ps = new ArrayList<>(children);
        }
        for (Process p : ps) {
            p.destroy(); // SIGTERM: the node stops cleanly
        }
        for (Process p : ps) {
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        // a node of these homes restarted by hand (as the Try list suggests) is no child of ours: its run.json names it
        Path root = dir.toAbsolutePath().normalize();
        List<String> still = new ArrayList<>();
        for (Path home : List.of(root.resolve("master"), root.resolve("shadow"))) {
            stopRecorded(home).ifPresent(pid -> still.add(home.getFileName() + " (pid " + pid + ")"));
        }
        if (still.isEmpty()) {
            System.out.println("quickstart: nodes stopped; homes kept in " + root);
        } else {
            System.out.println("quickstart: still running: " + String.join(", ", still) + " (stop them with kill PID);"
                    + " homes kept in " + root);
        }
    }

    /** Stops (SIGTERM, up to 15 s) the node run.json of {@code home} names; returns its pid if it still runs. */
    private static Optional<Long> stopRecorded(Path home) {
        Optional<RunFile> run;
        try {
            run = RunFile.read(home);
        } catch (IOException e) {
            return Optional.empty();
        }
        Optional<ProcessHandle> p = run.flatMap(r -> ProcessHandle.of(r.pid())).filter(ProcessHandle::isAlive);
        if (p.isEmpty()) {
            return Optional.empty();
        }
        p.get().destroy();
        try {
            Futures.within(p.get().onExit(), Duration.ofSeconds(15), "stopping node pid " + p.get().pid());
            return Optional.empty();
        } catch (IOException e) {
            // still running: said below
        }
        return p.get().isAlive() ? Optional.of(p.get().pid()) : Optional.empty();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
