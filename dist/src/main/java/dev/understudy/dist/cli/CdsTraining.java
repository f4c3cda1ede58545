package dev.understudy.dist.cli;

import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.NodeHome;
import dev.understudy.dist.node.NodeRuntime;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Build-time only: runs the everyday CLI commands against a throw-away node so that the JVM,
 * started with {@code -XX:ArchiveClassesAtExit=lib/cli.jsa}, archives the classes they load. The
 * launcher then starts CLI commands from that archive (class-data sharing), which is most of what
 * makes a CLI call fast. Not a user command.
 */
final class CdsTraining {

    private CdsTraining() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("understudy-cds-");
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream quiet = new PrintStream(sink, true, StandardCharsets.UTF_8);
        CliContext ctx = new CliContext(quiet, quiet, () -> null);
        try {
            Path home = dir.resolve("home");
            Path pw = dir.resolve("pw");
            Files.writeString(pw, "cds-training-password\n");
            // a home without a running node: the "no node is running" path
            run(ctx, "init", "--home", home.toString(), "--role", "master", "--admin-port", "0", "--ha-port", "0",
                    "--admin-password-file", pw.toString(), "--non-interactive", "--node-id", "cds");
            run(ctx, "status", "--home", home.toString());
            try (NodeRuntime node = NodeRuntime.open(new NodeHome(home), Clock.system())) {
                node.start();
                String h = home.toString();
                run(ctx, "status", "--home", h);
                run(ctx, "status", "--home", h, "--json");
                run(ctx, "mapping", "add", "--home", h, "--id", "m", "--listen-port", "1", "--backend-host", "b",
                        "--backend-port", "2", "--description", "d");
                run(ctx, "mapping", "list", "--home", h);
                run(ctx, "mapping", "list", "--home", h, "--json");
                run(ctx, "mapping", "remove", "--home", h, "--id", "m");
                run(ctx, "config", "put", "--home", h, "settings", "k", "\"v\"");
                run(ctx, "config", "get", "--home", h);
                run(ctx, "config", "get", "--home", h, "settings", "k");
                run(ctx, "config", "delete", "--home", h, "settings", "k");
                run(ctx, "config", "put", "--home", h, "settings", "k", "not json");
                run(ctx, "alerts", "--home", h);
                run(ctx, "alerts", "--home", h, "--json", "--all");
                run(ctx, "alerts", "ack", "--home", h, "1");
                run(ctx, "status", "--bogus");
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void run(CliContext ctx, String... args) throws IOException {
        Main.execute(ctx, args);
    }
}
