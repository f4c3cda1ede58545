package dev.understudy.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The README's "run it" command, as a user runs it: `understudy quickstart`, use it, Ctrl-C. */
class QuickstartIT {

    private Process quickstart;

    @AfterEach
    void stop() throws Exception {
        if (quickstart != null && quickstart.isAlive()) {
            quickstart.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void quickstartPairsTwoNodesServesTheSampleMappingAndCleansUpOnCtrlC() throws Exception {
        Path launcher = Path.of(System.getProperty("understudy.dist"), "bin", "understudy");
        Path dir = Path.of("target", "it-quickstart-" + System.nanoTime()).toAbsolutePath();
        Path out = dir.resolveSibling(dir.getFileName() + ".out");
        quickstart = new ProcessBuilder(launcher.toString(), "quickstart", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        await().atMost(Duration.ofSeconds(120)).until(() ->
                Files.exists(out) && Files.readString(out).contains("Press Ctrl-C"));
        String text = Files.readString(out);
        assertThat(text).contains("paired, in sync").contains("web console").contains("login         user admin");
        Matcher m = Pattern.compile("curl http://127\\.0\\.0\\.1:(\\d+)/").matcher(text);
        assertThat(m.find()).as(text).isTrue();
        int port = Integer.parseInt(m.group(1));
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(reply).contains("200").contains("hello from the quickstart backend");
        }
        List<String> tryBlock = text.lines().dropWhile(l -> !l.startsWith("Try")).takeWhile(l -> !l.startsWith("Logs:"))
                .toList();
        assertThat(tryBlock).hasSizeGreaterThan(5);
        assertThat(tryBlock).filteredOn(l -> !l.startsWith("  cd ") && !l.startsWith("  U="))
                .as("the Try block fits 100 columns").allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(100));
        List<ProcessHandle> nodes = quickstart.descendants().filter(p -> p.info().commandLine().orElse("")
                .contains("run --home")).toList();
        assertThat(nodes).hasSize(2);
        // as the Try list suggests: the master is killed and started again by hand, outside the quickstart
        ProcessHandle masterNode = nodes.stream().filter(p -> p.info().commandLine().orElse("").contains("master"))
                .findFirst().orElseThrow();
        masterNode.destroyForcibly();
        await().atMost(Duration.ofSeconds(30)).until(() -> !masterNode.isAlive());
        Process byHand = new ProcessBuilder(launcher.toString(), "run", "--home", dir.resolve("master").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("by-hand.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(dir.resolve("master").resolve("run.json"))
                    && Files.readString(dir.resolve("master").resolve("run.json")).contains("\"pid\":" + byHand.pid()));
            quickstart.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the shutdown hook stops every node of its homes
            assertThat(quickstart.waitFor(60, TimeUnit.SECONDS)).isTrue();
            for (ProcessHandle n : nodes) {
                await().atMost(Duration.ofSeconds(30)).until(() -> !n.isAlive());
            }
            assertThat(byHand.waitFor(30, TimeUnit.SECONDS)).as("the node restarted by hand is stopped too").isTrue();
        } finally {
            byHand.destroyForcibly();
        }
        assertThat(Files.readString(out)).contains("nodes stopped").doesNotContain("still running");
        assertThat(dir.resolve("master").resolve("node.json")).exists();
        assertThat(dir.resolve("admin-password")).exists();
    }
}
