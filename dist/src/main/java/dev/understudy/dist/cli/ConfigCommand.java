package dev.understudy.dist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code understudy config get|put|delete}: the replicated configuration, entry by entry. */
@Command(name = "config", mixinStandardHelpOptions = true,
        subcommands = {ConfigCommand.Get.class, ConfigCommand.Put.class, ConfigCommand.Delete.class},
        description = "Read and change the replicated configuration (mappings, users, settings).")
final class ConfigCommand {

    @Mixin
    HomeOption home;

    ConfigCommand(CliContext ctx) {
        // a container: the subcommands do the work
    }

    static String path(String collection, String id) {
        String p = "/api/v1/config/" + URLEncoder.encode(collection, StandardCharsets.UTF_8);
        return id == null ? p : p + "/" + URLEncoder.encode(id, StandardCharsets.UTF_8);
    }

    static String checkCollection(String name) {
        try {
            return ConfigCollection.of(name).wireName();
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    /** Prints what a write returned: the revision it committed and whether a shadow has it too. */
    static void printWrite(PrintStream out, JsonNode r) {
        out.println("committed revision " + r.path("revision").asLong() + " (replicated: "
                + r.path("replicated").asBoolean() + ")");
    }

    /** {@code config get [COLLECTION [ID]]}: prints JSON. */
    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print the configuration, a collection or an entry as JSON.")
    static final class Get implements Callable<Integer> {
        private final CliContext ctx;
        @ParentCommand
        ConfigCommand parent;
        @Mixin
        HomeOption home;
        @Parameters(index = "0", arity = "0..1", paramLabel = "COLLECTION", description = "mappings, users or settings")
        String collection;
        @Parameters(index = "1", arity = "0..1", paramLabel = "ID", description = "entry id")
        String id;

        Get(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            String p = collection == null ? "/api/v1/config" : path(checkCollection(collection), id);
            HomeOption h = HomeOption.either(home, parent.home);
            var stopped = StoppedNode.of(h);
            if (stopped.isPresent()) {
                JsonNode doc = stopped.get().config(collection == null ? null : checkCollection(collection), id);
                ctx.err().println(StoppedNode.MARK + ": the configuration stored in " + h.nodeHome().configDir());
                ctx.out().println(Json.pretty(doc));
                return 0;
            }
            AdminClient client = AdminClient.forHome(h);
            ctx.out().println(Json.pretty(client.ok(client.get(p))));
            return 0;
        }
    }

    /** {@code config put COLLECTION ID JSON}. */
    @Command(name = "put", mixinStandardHelpOptions = true, description = "Create or replace one entry (value as JSON).")
    static final class Put implements Callable<Integer> {
        private final CliContext ctx;
        @ParentCommand
        ConfigCommand parent;
        @Mixin
        HomeOption home;
        @Parameters(index = "0", paramLabel = "COLLECTION", description = "mappings, users or settings")
        String collection;
        @Parameters(index = "1", paramLabel = "ID", description = "entry id")
        String id;
        @Parameters(index = "2", paramLabel = "JSON", description = "the value, e.g. '\"hello\"' or '{\"listenPort\":8080,...}'")
        String json;

        Put(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            String c = checkCollection(collection);
            JsonNode value;
            try {
                value = Json.tree(json);
            } catch (IOException e) {
                throw CliException.usage("JSON: " + abbreviate(json) + " is not valid JSON (expected: a JSON value; "
                        + "quote a string twice, e.g. '\"hello\"')");
            }
            AdminClient client = AdminClient.forHome(HomeOption.either(home, parent.home));
            printWrite(ctx.out(), client.ok(client.put(path(c, id), value)));
            return 0;
        }
    }

    /** {@code config delete COLLECTION ID}. */
    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete one entry.")
    static final class Delete implements Callable<Integer> {
        private final CliContext ctx;
        @ParentCommand
        ConfigCommand parent;
        @Mixin
        HomeOption home;
        @Parameters(index = "0", paramLabel = "COLLECTION", description = "mappings, users or settings")
        String collection;
        @Parameters(index = "1", paramLabel = "ID", description = "entry id")
        String id;

        Delete(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            String c = checkCollection(collection);
            AdminClient client = AdminClient.forHome(HomeOption.either(home, parent.home));
            printWrite(ctx.out(), client.ok(client.delete(path(c, id))));
            return 0;
        }
    }

    static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
