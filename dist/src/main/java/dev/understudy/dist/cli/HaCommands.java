package dev.understudy.dist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.json.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The pairing and role commands that are one admin API call each. */
final class HaCommands {

    private HaCommands() {}

    @Command(name = "detach", mixinStandardHelpOptions = true,
            description = "Break the pairing on this node: a shadow stops replicating (and keeps its configuration),"
                    + " a master forgets its shadow.")
    static final class Detach implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        HomeOption home;

        Detach(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            AdminClient client = AdminClient.forHome(home);
            client.ok(client.post("/api/v1/ha/detach", Json.object()));
            ctx.out().println("detached: this node no longer replicates with a peer (attach again with `understudy attach`)");
            return 0;
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = "Forget the peer and clear pairing and replication alerts; refused on a master while a shadow is connected.")
    static final class Reset implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        HomeOption home;

        Reset(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            AdminClient client = AdminClient.forHome(home);
            client.ok(client.post("/api/v1/ha/reset", Json.object()));
            ctx.out().println("reset: pairing forgotten and replication alerts cleared; the configuration and epoch are kept");
            return 0;
        }
    }

    @Command(name = "switch-roles", mixinStandardHelpOptions = true,
            description = "Planned switch: the master stops writes, pushes its last revision, waits for the shadow's ack and"
                    + " hands over. On a shadow, --force promotes it now (when the master does not answer).")
    static final class SwitchRoles implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        HomeOption home;

        @Option(names = "--force", description = "hand over although the shadow is behind (master), or promote this shadow now")
        boolean force;

        SwitchRoles(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            AdminClient client = AdminClient.forHome(home);
            JsonNode r = client.ok(client.post("/api/v1/ha/switch-roles" + (force ? "?force=true" : ""), Json.object()));
            ctx.out().println(r.path("result").asText() + " (this node: " + r.path("role").asText() + ", epoch "
                    + r.path("epoch").asLong() + ")");
            return 0;
        }
    }
}
