package dev.understudy.dist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.json.Json;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code understudy status}: role, state, revision, peer, and which settings are node-local vs replicated. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show the running node's status.")
final class StatusCommand implements Callable<Integer> {

    private final CliContext ctx;

    @Mixin
    HomeOption home;

    @Option(names = "--json", description = "print the status document as JSON")
    boolean json;

    StatusCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        var stopped = StoppedNode.of(home);
        if (stopped.isPresent()) {
            JsonNode s = stopped.get().status();
            if (json) {
                ctx.out().println(Json.pretty(s));
            } else {
                ctx.out().println(s.path("note").asText().replaceFirst(StoppedNode.MARK, "NODE NOT RUNNING"));
                print(ctx.out(), s, null);
            }
            return 0;
        }
        AdminClient client = AdminClient.forHome(home);
        JsonNode s = client.ok(client.get("/api/v1/status"));
        if (json) {
            ctx.out().println(Json.pretty(s));
        } else {
            print(ctx.out(), s, client.base());
        }
        return 0;
    }

    /** Prints the status document; {@code admin} is the admin URL of the running node, null for a stopped one. */
    static void print(PrintStream out, JsonNode s, String admin) {
        out.printf("node       %s (%s)  state %s  %s%n", s.path("nodeId").asText(), s.path("role").asText(),
                s.path("state").asText(), s.path("active").asBoolean() ? "ACTIVE (serving)" : "not serving");
        out.printf("epoch      %d  revision %d  config hash %s%n", s.path("epoch").asLong(), s.path("revision").asLong(),
                shortHash(s.path("configHash").asText()));
        JsonNode p = s.path("peer");
        if ((p.path("address").isNull() || p.path("address").isMissingNode()) && !p.path("connected").asBoolean()) {
            out.println("peer       none (detached)");
        } else if (!p.path("connected").asBoolean()) {
            out.printf("peer       %s at %s  not connected (%s)%n", text(p, "nodeId"), text(p, "address"),
                    p.path("lastHeartbeatMillisAgo").isNumber()
                            ? "last heard " + p.get("lastHeartbeatMillisAgo").asLong() + " ms ago"
                            : "not heard from since this node started");
        } else {
            out.printf("peer       %s at %s  state %s  revision %s  lag %s  last heard %s%n", text(p, "nodeId"),
                    text(p, "address"), text(p, "state"), text(p, "revision"), text(p, "lagRevisions"),
                    p.path("lastHeartbeatMillisAgo").isNumber() ? p.get("lastHeartbeatMillisAgo").asLong() + " ms ago" : "-");
        }
        if (p.hasNonNull("connectedSince") || p.hasNonNull("lastSuccessfulPush")) {
            out.printf("shadow     %s  last successful push %s%n", p.hasNonNull("connectedSince")
                            ? "connected since " + text(p, "connectedSince") + " from " + text(p, "seenFromHost")
                            : "not connected", p.hasNonNull("lastSuccessfulPush") ? p.get("lastSuccessfulPush").asText()
                            : "none since this node became master");
        }
        if (admin != null) {
            out.printf("admin      %s  pid %s  since %s%n", admin, s.path("pid").asText(), s.path("startedAt").asText());
        }
        out.printf("certificate SHA256:%s%n", s.path("certificateFingerprint").asText("-"));
        out.printf("alerts     %d active (see `understudy alerts`)%n", s.path("activeAlerts").asLong());
        out.println();
        out.println("node-local settings (" + s.path("settings").path("source").asText("node.json") + "; this node only, not replicated):");
        s.path("settings").path("values").properties().forEach(e ->
                out.printf("  %-20s %s%n", e.getKey(), e.getValue().asText()));
        out.println();
        JsonNode r = s.path("replicated");
        out.println("replicated configuration (revision " + r.path("revision").asLong() + "; " + sameOnPeer(s) + "):");
        r.path("collections").properties().forEach(e ->
                out.printf("  %-20s %d entries%n", e.getKey(), e.getValue().asLong()));
    }

    /** What is known of the peer's copy: "identical" only when the peer confirmed it just now. */
    private static String sameOnPeer(JsonNode s) {
        JsonNode p = s.path("peer");
        if (s.path("replicated").path("identicalOnPeer").asBoolean()) {
            return "identical on master and shadow";
        }
        if (!p.path("connected").asBoolean()) {
            return "not confirmed by any peer: no peer connected";
        }
        return "the peer is at revision " + text(p, "revision") + ", not yet confirmed identical";
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isNull() || v.isMissingNode() ? "-" : v.asText();
    }

    private static String shortHash(String h) {
        return h.length() > 16 ? h.substring(0, 16) + "..." : h;
    }
}
