package dev.understudy.dist.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code understudy bench all}: every benchmark in turn, each figure printed beside its target of
 * DESIGN.md §8 (the raised ones where they were raised) and whether it was met; forwarding as a ratio to
 * the direct path (and to HAProxy) measured in the same run.
 */
public final class AllBenchmarks {

    /** Every figure of one run: {@code figures} is an array of {benchmark, figure, value, unit, target, met}. */
    private final ObjectNode root = Json.object();
    private final ArrayNode figures = root.putArray("figures");
    private final StringBuilder text = new StringBuilder();

    private AllBenchmarks() {}

    /** Runs everything in {@code dir}; progress goes to {@code progress}. */
    public static AllBenchmarks run(Path launcher, Path dir, PrintStream progress) throws Exception {
        AllBenchmarks a = new AllBenchmarks();
        progress.println("bench all: push ...");
        PushBenchmark.Result push = PushBenchmark.push(dir.resolve("push"), 2000, 20_000, 32);
        a.row("push", "commit on master -> durable on shadow p50", push.latency().p50(), "ms", "< 2", push.latency().p50() < 2);
        a.row("push", "commit on master -> durable on shadow p99", push.latency().p99(), "ms", "< 10", push.latency().p99() < 10);
        a.row("push", "replicated changes/s (" + push.writers() + " writers)", push.changesPerSecond(), "/s", ">= 10000",
                push.changesPerSecond() >= 10_000);

        progress.println("bench all: fullsync (100,000 mappings) ...");
        PushBenchmark.FullSyncResult fs = PushBenchmark.fullSync(dir.resolve("fullsync"), 100_000, 3);
        a.row("fullsync", "full transfer of 100,000 mappings p50", fs.transfer().p50(), "ms", "< 3000", fs.transfer().p50() < 3000);
        a.row("fullsync", "full transfer of 100,000 mappings p99", fs.transfer().p99(), "ms", "< 2000", fs.transfer().p99() < 2000);
        a.row("fullsync", "PUSH_FAILED during transfers that progressed", fs.pushFailures(), "", "0", fs.pushFailures() == 0);

        progress.println("bench all: forwarding (direct, mapped, HAProxy) ...");
        ForwardingBenchmark.Figures f = ForwardingBenchmark.run(ForwardingBenchmark.Options.defaults());
        a.row("forwarding", "throughput direct (" + f.transport() + " connector)", f.directThroughputMBps(), "MB/s", "-", true);
        a.row("forwarding", "throughput mapped / direct, same run", f.throughputRatio(), "x", ">= 0.60", f.meetsThroughputTarget());
        if (f.haproxyMeasured()) {
            a.row("forwarding", "throughput mapped / HAProxy, same run", f.throughputVsHaproxy(), "x", ">= 1.5",
                    f.throughputVsHaproxy() >= 1.5);
        }
        a.row("forwarding", "connections/s mapped / direct, same run", f.connectionRateRatio(), "x", ">= 0.85",
                f.connectionRateRatio() >= 0.85);
        a.row("forwarding", "connection through mapping p50", f.mappedConnectionP50Micros(), "us", "-", true);
        a.row("forwarding", "connection through mapping p99", f.mappedConnectionP99Micros(), "us", "-", true);

        progress.println("bench all: node with 100,000 mappings (start, RSS, CLI) ...");
        NodeBenchmark.Result n = NodeBenchmark.run(launcher, dir.resolve("node"), 100_000, 3, 10);
        a.row("node", "start to ready (100,000 mappings) p50", n.startToReady().p50(), "ms", "< 1500", n.startToReady().p50() < 1500);
        a.row("node", "ready -> admin API answers (100,000 mappings)", n.readyToAnsweringMillis(), "ms", "-", true);
        a.row("node", "peak RSS with 100,000 mappings", n.peakRssKiB() / 1024.0, "MiB", "< 256", n.peakRssKiB() / 1024.0 < 256);
        String via = n.localSocket() ? "admin.sock" : "HTTPS";
        a.row("cli", "status wall time p50 (" + via + ")", n.status().p50(), "ms", "< 200", n.status().p50() < 200);
        a.row("cli", "status wall time p99", n.status().p99(), "ms", "-", true);
        a.row("cli", "config put wall time p50 (" + via + ")", n.configPut().p50(), "ms", "< 200", n.configPut().p50() < 200);
        a.row("cli", "config put wall time p99", n.configPut().p99(), "ms", "-", true);

        progress.println("bench all: failover (real processes) ...");
        FailoverBenchmark.Result fo = FailoverBenchmark.run(FailoverBenchmark.Options.defaults(launcher,
                dir.resolve("failover")), progress);
        a.row("failover", "kill -9 master -> traffic p50", fo.killToTraffic().p50(), "ms", "< 50", fo.killToTraffic().p50() < 50);
        a.row("failover", "kill -9 master -> traffic p99", fo.killToTraffic().p99(), "ms", "< 100", fo.killToTraffic().p99() < 100);
        a.row("failover", "kill -9 master -> shadow /healthz 200 p50", fo.killToActive().p50(), "ms", "< 40",
                fo.killToActive().p50() < 40);
        if (fo.pauseToPromotion() != null) {
            long limit = fo.takeoverDelay().toMillis() + 200;
            a.row("failover", "SIGSTOP master -> promotion p99", fo.pauseToPromotion().p99(), "ms", "<= " + limit,
                    fo.pauseToPromotion().p99() <= limit);
        }
        return a;
    }

    private void row(String bench, String figure, double value, String unit, String target, boolean met) {
        double v = Math.round(value * 100) / 100.0;
        figures.addObject().put("benchmark", bench).put("figure", figure).put("value", v).put("unit", unit)
                .put("target", target).put("met", met);
        text.append(String.format(Locale.ROOT, "%-10s %-52s %12.2f %-5s target %-9s %s%n", bench, figure, v, unit,
                target, target.equals("-") ? "" : met ? "met" : "NOT met"));
    }

    public String toJson() {
        return Json.pretty(root);
    }

    public String toText() {
        return text.toString();
    }
}
