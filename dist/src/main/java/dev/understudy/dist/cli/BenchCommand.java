package dev.understudy.dist.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;
import dev.understudy.dist.bench.AllBenchmarks;
import dev.understudy.dist.bench.FailoverBenchmark;
import dev.understudy.dist.bench.NodeBenchmark;
import dev.understudy.dist.bench.Percentiles;
import dev.understudy.dist.bench.PushBenchmark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code understudy bench push|fullsync|failover|all [--json]}: runs a local pair in temporary homes and
 * prints medians and p99 against the targets of DESIGN.md §8, so operators can check their machine.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure replication, full transfer or failover on this machine with a local pair.")
final class BenchCommand implements Callable<Integer> {

    private final CliContext ctx;

    @Parameters(index = "0", paramLabel = "push|fullsync|failover|node|all", description = "what to measure")
    String what;

    @Option(names = "--json", description = "print the figures as JSON")
    boolean json;

    @Option(names = "--samples", description = "latency samples (push) / runs (fullsync, failover); default depends on the benchmark")
    Integer samples;

    @Option(names = "--mappings", defaultValue = "100000", description = "mappings for fullsync and node (default ${DEFAULT-VALUE})")
    int mappings;

    BenchCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("understudy-bench-");
        try {
            ObjectNode out = Json.object();
            out.put("benchmark", what);
            String text;
            switch (what) {
                case "push" -> {
                    int n = samples == null ? 2000 : samples;
                    PushBenchmark.Result r = PushBenchmark.push(dir, n, 20_000, 32);
                    put(out.putObject("commitToDurableOnShadowMs"), r.latency());
                    out.put("replicatedChangesPerSecond", Math.round(r.changesPerSecond()));
                    out.put("writers", r.writers());
                    out.put("targets", "p50 < 2 ms, p99 < 10 ms, >= 5000 changes/s");
                    text = "change committed on master -> durable on shadow: " + r.latency()
                            + "   (target p50 < 2 ms, p99 < 10 ms)\n"
                            + String.format("replicated changes per second: %.0f with %d writers   (target >= 5,000)",
                            r.changesPerSecond(), r.writers());
                }
                case "fullsync" -> {
                    int n = samples == null ? 3 : samples;
                    PushBenchmark.FullSyncResult r = PushBenchmark.fullSync(dir, mappings, n);
                    out.put("mappings", r.mappings());
                    out.put("documentBytes", r.documentBytes());
                    put(out.putObject("transferMs"), r.transfer());
                    put(out.putObject("attachToInSyncMs"), r.attach());
                    out.put("falsePushFailed", r.pushFailures());
                    out.put("target", "full sync of 100,000 mappings < 3 s");
                    text = String.format("full transfer of %,d mappings (%,d bytes): %s   (target < 3000 ms)%n"
                            + "attach (incl. the deliberately slow password check) to in sync: %s%n"
                            + "PUSH_FAILED raised during transfers that progressed: %d   (target 0)",
                            r.mappings(), r.documentBytes(), r.transfer(), r.attach(), r.pushFailures());
                }
                case "failover" -> {
                    FailoverBenchmark.Options o = FailoverBenchmark.Options.defaults(
                            FailoverBenchmark.launcherFromSystemProperty(), dir.resolve("failover"));
                    if (samples != null) {
                        o = new FailoverBenchmark.Options(o.launcher(), o.workDir(), samples, o.pauses(),
                                o.heartbeatInterval(), o.takeoverDelay());
                    }
                    FailoverBenchmark.Result r = FailoverBenchmark.run(o, json ? System.err : ctx.out());
                    if (json) {
                        ctx.out().println(r.toJson());
                        return 0;
                    }
                    text = r.toText();
                }
                case "node" -> {
                    NodeBenchmark.Result r = NodeBenchmark.run(FailoverBenchmark.launcherFromSystemProperty(),
                            dir.resolve("node"), mappings, 3, samples == null ? 10 : samples);
                    out.put("mappings", r.mappings());
                    put(out.putObject("startToReadyMs"), r.startToReady());
                    out.put("readyToAnsweringMs", r.readyToAnsweringMillis());
                    out.put("peakRssMiB", round(r.peakRssKiB() / 1024.0));
                    put(out.putObject("cliStatusMs"), r.status());
                    put(out.putObject("cliConfigPutMs"), r.configPut());
                    out.put("cliOverLocalSocket", r.localSocket());
                    out.put("targets", "start to ready < 1500 ms, RSS < 256 MiB, CLI < 200 ms");
                    text = String.format("node with %,d mappings: start to ready %s   (target < 1500 ms)%n"
                            + "ready -> admin API answers: %d ms; peak RSS %.1f MiB   (target < 256 MiB)%n"
                            + "CLI (%s) status: %s, config put: %s   (target < 200 ms)", r.mappings(), r.startToReady(),
                            r.readyToAnsweringMillis(), r.peakRssKiB() / 1024.0,
                            r.localSocket() ? "admin.sock" : "HTTPS", r.status(), r.configPut());
                }
                case "all" -> {
                    AllBenchmarks all = AllBenchmarks.run(FailoverBenchmark.launcherFromSystemProperty(), dir,
                            json ? System.err : ctx.out());
                    ctx.out().println(json ? all.toJson() : all.toText());
                    return 0;
                }
                default -> throw CliException.usage("benchmark: " + what + " (expected: push, fullsync, failover, node or all)");
            }
            ctx.out().println(json ? Json.pretty(out) : text);
            return 0;
        } finally {
            PushBenchmark.deleteTree(dir);
        }
    }

    static void put(ObjectNode n, Percentiles p) {
        n.put("n", p.n());
        n.put("p50", round(p.p50()));
        n.put("p99", round(p.p99()));
        n.put("max", round(p.max()));
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

}
