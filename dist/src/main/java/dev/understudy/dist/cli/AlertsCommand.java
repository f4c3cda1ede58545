package dev.understudy.dist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.json.Json;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code understudy alerts}: the node's alerts, newest first; {@code alerts ack ID} acknowledges one. */
@Command(name = "alerts", mixinStandardHelpOptions = true, subcommands = AlertsCommand.Ack.class,
        description = "List the node's alerts (open ones, or --all).")
final class AlertsCommand implements Callable<Integer> {

    private final CliContext ctx;

    @Mixin
    HomeOption home;

    @Option(names = "--json", description = "print a JSON array")
    boolean json;

    @Option(names = "--all", description = "include resolved alerts")
    boolean all;

    AlertsCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        var stopped = StoppedNode.of(home);
        JsonNode list;
        if (stopped.isPresent()) {
            list = stopped.get().alerts(all);
            // stdout stays the JSON array: the mark goes where a person sees it
            (json ? ctx.err() : ctx.out()).println(StoppedNode.MARK + ": the alerts stored in " + home.nodeHome().alertsJson());
        } else {
            AdminClient client = AdminClient.forHome(home);
            list = client.ok(client.get("/api/v1/alerts" + (all ? "?all=true" : "")));
        }
        if (json) {
            ctx.out().println(Json.pretty(list));
        } else {
            table(ctx.out(), list, Instant.ofEpochMilli(Clock.system().currentTimeMillis()));
        }
        return 0;
    }

    static void table(PrintStream out, JsonNode list, Instant now) {
        if (list.isEmpty()) {
            out.println("no active alerts");
            return;
        }
        out.printf("%-4s %-8s %-19s %-6s %s%n", "ID", "SEVERITY", "CATEGORY", "AGE", "MESSAGE");
        for (JsonNode a : list) {
            String flags = (a.path("resolved").asBoolean() ? " [resolved]" : "")
                    + (a.path("acknowledged").asBoolean() ? " [acknowledged]" : "")
                    + (a.path("count").asLong() > 1 ? " (x" + a.path("count").asLong() + ")" : "");
            out.printf("%-4s %-8s %-19s %-6s %s%s%n", a.path("id").asText(), a.path("severity").asText(),
                    a.path("category").asText(), age(a.path("lastSeen").asText(), now), a.path("message").asText(), flags);
        }
    }

    static String age(String iso, Instant now) {
        try {
            Duration d = Duration.between(Instant.parse(iso), now);
            long s = Math.max(0, d.getSeconds());
            if (s < 60) {
                return s + "s";
            }
            if (s < 3600) {
                return s / 60 + "m";
            }
            if (s < 86_400) {
                return s / 3600 + "h";
            }
            return s / 86_400 + "d";
        } catch (DateTimeParseException e) {
            return "?";
        }
    }

    /** {@code understudy alerts ack ID}. */
    @Command(name = "ack", mixinStandardHelpOptions = true, description = "Acknowledge an alert.")
    static final class Ack implements Callable<Integer> {

        private final CliContext ctx;

        @ParentCommand
        AlertsCommand parent;

        @Mixin
        HomeOption home;

        @Parameters(paramLabel = "ID", description = "the alert's id (see `understudy alerts --all`)")
        String id;

        Ack(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            AdminClient client = AdminClient.forHome(HomeOption.either(home, parent.home));
            JsonNode a = client.ok(client.post("/api/v1/alerts/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/ack", null));
            ctx.out().println("acknowledged alert " + a.path("id").asText() + ": " + a.path("message").asText());
            return 0;
        }
    }
}
