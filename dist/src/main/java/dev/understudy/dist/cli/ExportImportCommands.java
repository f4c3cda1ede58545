package dev.understudy.dist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code understudy export} / {@code import}: a whole node configuration in one file, for moving or
 * rebuilding a node. The file holds the replicated configuration (admin users as password hashes,
 * never passwords) and the node-local settings; it never holds the private key or the admin token
 * (a rebuilt node makes a new key and is paired again). It is written readable by its owner only.
 */
final class ExportImportCommands {

    static final String FORMAT = "understudy-export/1";
    /** Most ops the API takes in one change set. */
    static final int MAX_OPS = 10_000;

    private ExportImportCommands() {}

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write the node's configuration (replicated + node-local settings) to a file, mode 0600.")
    static final class Export implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        HomeOption home;

        @Option(names = "--out", required = true, paramLabel = "F", description = "file to write (replaced if it exists)")
        Path out;

        Export(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            AdminClient client = AdminClient.forHome(home);
            JsonNode cfg = client.ok(client.get("/api/v1/config?export=true"));
            JsonNode status = client.ok(client.get("/api/v1/status"));
            ObjectNode file = Json.object();
            file.put("format", FORMAT);
            file.put("exportedAt", Instant.now().toString());
            file.put("nodeId", status.path("nodeId").asText());
            file.put("role", status.path("role").asText());
            file.put("revision", cfg.path("revision").asLong());
            file.put("configHash", cfg.path("configHash").asText());
            try {
                file.set("nodeSettings", Json.tree(Files.readAllBytes(home.nodeHome().nodeJson())));
                file.set("config", cfg.path("document"));
                Path target = out.toAbsolutePath();
                AtomicFiles.write(target, Json.pretty(file).getBytes(StandardCharsets.UTF_8), AtomicFiles.OWNER_ONLY);
            } catch (IOException e) {
                throw CliException.failed("export: cannot write " + out + " (" + e.getMessage() + ")");
            }
            int entries = 0;
            for (ConfigCollection c : ConfigCollection.values()) {
                entries += cfg.path("document").path(c.wireName()).size();
            }
            ctx.out().println("exported revision " + cfg.path("revision").asLong() + " (" + entries + " entries) and the"
                    + " node-local settings to " + out + " (mode 0600; no private key, no admin token)");
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Make the running master's replicated configuration equal to an exported one"
                    + " (node-local settings are shown, not changed).")
    static final class Import implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        HomeOption home;

        @Option(names = "--in", required = true, paramLabel = "F", description = "a file written by `understudy export`")
        Path in;

        Import(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            JsonNode file;
            try {
                file = Json.tree(Files.readAllBytes(in));
            } catch (java.nio.file.NoSuchFileException e) {
                throw CliException.failed("import: " + in + ": file not found (expected: a file written by"
                        + " `understudy export --out F`)");
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                var at = e.getLocation();
                throw CliException.failed("import: " + in + ": not valid JSON"
                        + (at == null ? "" : " at line " + at.getLineNr() + " column " + at.getColumnNr())
                        + " (expected: the unchanged file `understudy export` wrote)");
            } catch (IOException e) {
                throw CliException.failed("import: cannot read " + in + " (" + e.getMessage() + ")");
            }
            if (!FORMAT.equals(file.path("format").asText())) {
                throw CliException.usage("import: " + in + ": format " + file.path("format").asText("missing")
                        + " (expected: " + FORMAT + ", a file written by `understudy export`)");
            }
            JsonNode wanted = file.path("config");
            AdminClient client = AdminClient.forHome(home);
            JsonNode current = client.ok(client.get("/api/v1/config?export=true")).path("document");
            // puts first, deletes last: replacing every admin user must never pass through "no user left"
            List<ObjectNode> puts = new ArrayList<>();
            List<ObjectNode> deletes = new ArrayList<>();
            for (ConfigCollection c : ConfigCollection.values()) {
                JsonNode want = wanted.path(c.wireName());
                JsonNode have = current.path(c.wireName());
                for (var e : want.properties()) {
                    if (!e.getValue().equals(have.get(e.getKey()))) {
                        puts.add(Json.object().put("op", "put").put("collection", c.wireName()).put("id", e.getKey())
                                .set("value", e.getValue()));
                    }
                }
                for (var e : have.properties()) {
                    if (!want.has(e.getKey())) {
                        deletes.add(Json.object().put("op", "delete").put("collection", c.wireName()).put("id", e.getKey()));
                    }
                }
            }
            List<ObjectNode> ops = new ArrayList<>(puts);
            ops.addAll(deletes);
            if (ops.isEmpty()) {
                ctx.out().println("nothing to import: the configuration already equals " + in);
            } else {
                if (ops.size() > MAX_OPS) {
                    ctx.out().println("note: " + ops.size() + " changes are applied as " + ((ops.size() + MAX_OPS - 1) / MAX_OPS)
                            + " change sets (at most " + MAX_OPS + " each), not atomically");
                }
                for (int i = 0; i < ops.size(); i += MAX_OPS) {
                    ObjectNode cs = Json.object();
                    ArrayNode arr = cs.putArray("ops");
                    ops.subList(i, Math.min(ops.size(), i + MAX_OPS)).forEach(arr::add);
                    JsonNode r = client.ok(client.post("/api/v1/config/changes", cs));
                    ctx.out().println("imported " + arr.size() + " change(s) as revision " + r.path("revision").asLong()
                            + " (replicated: " + r.path("replicated").asBoolean() + ")");
                }
            }
            JsonNode local = file.path("nodeSettings");
            if (local.isObject()) {
                ctx.out().println("node-local settings in the file (not applied; edit " + home.nodeHome().nodeJson()
                        + " and restart to use them):");
                for (String f : List.of("heartbeatInterval", "takeoverDelay", "connectTimeout", "requestTimeout",
                        "permittedShadowHost", "logLevel")) {
                    if (local.has(f)) {
                        ctx.out().println("  " + f + " = " + local.get(f).asText());
                    }
                }
            }
            return 0;
        }
    }
}
