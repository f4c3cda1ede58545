package dev.understudy.dist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.config.Mapping;
import dev.understudy.common.json.Json;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code understudy mapping add|remove|list}: connector mappings, the common case of config changes. */
@Command(name = "mapping", mixinStandardHelpOptions = true,
        subcommands = {MappingCommand.Add.class, MappingCommand.Remove.class, MappingCommand.ListMappings.class},
        description = "Add, remove and list connector mappings.")
final class MappingCommand {

    @Mixin
    HomeOption home;

    MappingCommand(CliContext ctx) {
        // a container: the subcommands do the work
    }

    /** A port flag's value, checked before anything is sent: bad usage, exit 2. */
    static int port(String flag, int value) {
        if (value < 1 || value > 65535) {
            throw CliException.usage(flag + ": " + value + " (expected: 1..65535)");
        }
        return value;
    }

    /** {@code mapping add}. */
    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a mapping: listen port to backend.")
    static final class Add implements Callable<Integer> {
        private final CliContext ctx;
        @ParentCommand
        MappingCommand parent;
        @Mixin
        HomeOption home;
        @Option(names = "--id", required = true, paramLabel = "ID", description = "mapping id")
        String id;
        @Option(names = "--listen-port", required = true, paramLabel = "N", description = "published port")
        int listenPort;
        @Option(names = "--listen-host", paramLabel = "H", description = "listen address (default 0.0.0.0: every interface)")
        String listenHost;
        @Option(names = "--backend-host", required = true, paramLabel = "H", description = "on-premise backend host")
        String backendHost;
        @Option(names = "--backend-port", required = true, paramLabel = "N", description = "backend port")
        int backendPort;
        @Option(names = "--description", paramLabel = "TEXT", description = "free text")
        String description;

        Add(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            port("--listen-port", listenPort);
            port("--backend-port", backendPort);
            ObjectNode v = Json.object();
            if (listenHost != null) {
                v.put("listenHost", listenHost);
            }
            v.put("listenPort", listenPort);
            v.put("backendHost", backendHost);
            v.put("backendPort", backendPort);
            if (description != null) {
                v.put("description", description);
            }
            AdminClient client = AdminClient.forHome(HomeOption.either(home, parent.home));
            String path = ConfigCommand.path("mappings", id);
            if (client.get(path).status() == 200) {
                throw CliException.failed("mapping " + id + ": already exists (remove it first with `understudy mapping "
                        + "remove --id " + id + "`, or choose another --id)");
            }
            ConfigCommand.printWrite(ctx.out(), client.ok(client.put(path, v)));
            // committed is not serving: say so when the master cannot open the listen socket
            JsonNode state = awaitBindOutcome(client, id);
            if (state != null && state.path("state").asText().equals("bind failed")) {
                ctx.err().println("understudy: warning: " + state.path("error").asText());
                return CliException.FAILED;
            }
            if (state == null) {
                ctx.out().println("note: the master has not bound mapping " + id + " yet; see `understudy mapping list`");
            }
            return 0;
        }
    }

    /** The data plane's state of mapping {@code id} once it is bound or failed (bounded wait), else null. */
    static JsonNode awaitBindOutcome(AdminClient client, String id) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(3);
        while (true) {
            JsonNode m = mappingState(client.ok(client.get("/api/v1/status")), id);
            if (m != null && !m.path("state").asText().equals("binding")) {
                return m;
            }
            if (System.nanoTime() >= deadline) {
                return null;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
        }
    }

    /** The entry of {@code id} in the status document's {@code dataPlane.mappings}, or null. */
    static JsonNode mappingState(JsonNode status, String id) {
        for (JsonNode m : status.path("dataPlane").path("mappings")) {
            if (m.path("id").asText().equals(id)) {
                return m;
            }
        }
        return null;
    }

    /** {@code mapping remove --id ID}. */
    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a mapping.")
    static final class Remove implements Callable<Integer> {
        private final CliContext ctx;
        @ParentCommand
        MappingCommand parent;
        @Mixin
        HomeOption home;
        @Option(names = "--id", required = true, paramLabel = "ID", description = "mapping id")
        String id;

        Remove(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            AdminClient client = AdminClient.forHome(HomeOption.either(home, parent.home));
            String path = ConfigCommand.path("mappings", id);
            if (client.get(path).status() == 404) {
                throw CliException.failed("mapping " + id + ": no such mapping (see `understudy mapping list`)");
            }
            ConfigCommand.printWrite(ctx.out(), client.ok(client.delete(path)));
            return 0;
        }
    }

    /** {@code mapping list [--json]}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the mappings.")
    static final class ListMappings implements Callable<Integer> {
        private final CliContext ctx;
        @ParentCommand
        MappingCommand parent;
        @Mixin
        HomeOption home;
        @Option(names = "--json", description = "print a JSON array")
        boolean json;

        ListMappings(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            AdminClient client = AdminClient.forHome(HomeOption.either(home, parent.home));
            JsonNode entries = client.ok(client.get("/api/v1/config/mappings"));
            JsonNode status = client.ok(client.get("/api/v1/status"));
            boolean serving = status.path("active").asBoolean();
            ArrayNode out = Json.mapper().createArrayNode();
            entries.properties().forEach(e -> {
                Mapping m = Mapping.of(e.getKey(), e.getValue());
                ObjectNode n = Json.object();
                n.put("id", m.id());
                n.put("listenHost", m.listenHost());
                n.put("listenPort", m.listenPort());
                n.put("backendHost", m.backendHost());
                n.put("backendPort", m.backendPort());
                n.put("description", m.description());
                JsonNode st = mappingState(status, m.id());
                n.put("state", st != null ? st.path("state").asText() : serving ? "pending" : "not served here");
                n.put("error", st == null ? null : st.path("error").textValue());
                out.add(n);
            });
            if (json) {
                ctx.out().println(Json.pretty(out));
            } else {
                table(ctx.out(), out);
            }
            return 0;
        }

        static void table(PrintStream out, ArrayNode mappings) {
            if (mappings.isEmpty()) {
                out.println("no mappings (add one with `understudy mapping add`)");
                return;
            }
            out.printf("%-20s %-22s %-30s %-15s %s%n", "ID", "LISTEN", "BACKEND", "STATE", "DESCRIPTION");
            for (JsonNode m : mappings) {
                out.printf("%-20s %-22s %-30s %-15s %s%n", m.path("id").asText(),
                        m.path("listenHost").asText() + ":" + m.path("listenPort").asInt(),
                        m.path("backendHost").asText() + ":" + m.path("backendPort").asInt(), m.path("state").asText(),
                        m.path("description").isNull() ? "" : m.path("description").asText());
            }
            for (JsonNode m : mappings) {
                if (m.hasNonNull("error")) {
                    out.println("  " + m.path("error").asText());
                }
            }
        }
    }
}
