package dev.understudy.dist.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.common.clock.Clock;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.json.Json;
import dev.understudy.dist.admin.WriteResult;
import dev.understudy.dist.testing.TestHomes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeRuntimeTest {

    @TempDir
    static Path shared;
    static Path template;

    @TempDir
    Path tmp;

    @BeforeAll
    static void makeTemplate() throws IOException {
        template = shared.resolve("template");
        TestHomes.master(template, "n1");
    }

    /** A fresh copy of the template home (PBKDF2 at init is slow; copying is not). */
    Path copy() throws IOException {
        Path dir = tmp.resolve("home");
        try (var s = Files.walk(template)) {
            for (Path p : s.toList()) {
                Path to = dir.resolve(template.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return dir;
    }

    private static ChangeSet putMapping(String id, int listenPort, String backendHost, int backendPort) {
        return new ChangeSet(java.util.List.of(ChangeOp.put(ConfigCollection.MAPPINGS, id, Json.object()
                .put("listenPort", listenPort).put("backendHost", backendHost).put("backendPort", backendPort))));
    }

    /** Issue #9 item 7: the write path refuses mappings on the node's own ports; the store is untouched. */
    @Test
    void mappingsOnTheNodesOwnAdminOrHaPortAreRefusedAndNothingChanges() throws Exception {
        Path dir = copy();
        NodeRuntime node = NodeRuntime.open(new NodeHome(dir), Clock.system());
        try {
            node.start();
            long revision = node.store().revision();
            String hash = node.store().hash();
            int admin = node.adminPort();
            int ha = node.ha().haPort();
            assertThat(ha).isPositive();
            assertThatThrownBy(() -> node.write(putMapping("on-admin", admin, "backend.example", 80)))
                    .isInstanceOf(dev.understudy.common.config.InvalidChangeException.class)
                    .hasMessageStartingWith("ops[0].value.listenPort: " + admin + " (expected: not this node's admin port")
                    .hasMessageContaining("choose another listenPort");
            assertThatThrownBy(() -> node.write(putMapping("on-ha", ha, "backend.example", 80)))
                    .isInstanceOf(dev.understudy.common.config.InvalidChangeException.class)
                    .hasMessageStartingWith("ops[0].value.listenPort: " + ha + " (expected: not this node's HA port");
            assertThatThrownBy(() -> node.write(putMapping("loop", 18_099, "127.0.0.1", 18_099)))
                    .isInstanceOf(dev.understudy.common.config.InvalidChangeException.class)
                    .hasMessageContaining("loop");
            assertThat(node.store().revision()).isEqualTo(revision);
            assertThat(node.store().hash()).isEqualTo(hash);
            assertThat(node.connector().status()).isEmpty();
        } finally {
            node.close();
        }
    }

    @Test
    void startWritesRunFileWithTheBoundPortAndCloseRemovesIt() throws Exception {
        Path dir = copy();
        NodeRuntime node = NodeRuntime.open(new NodeHome(dir), Clock.system());
        try {
            node.start();
            RunFile run = RunFile.read(dir).orElseThrow();
            assertThat(run.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(run.adminPort()).isEqualTo(node.adminPort()).isPositive();
            assertThat(run.startedAt()).isNotBlank();
        } finally {
            node.close();
        }
        assertThat(RunFile.path(dir)).doesNotExist();
    }

    @Test
    void aSecondNodeInTheSameHomeIsRefusedAndLeavesTheFirstsRunFile() throws Exception {
        Path dir = copy();
        NodeRuntime first = NodeRuntime.open(new NodeHome(dir), Clock.system());
        try {
            first.start();
            // a run.json naming a live process other than us: the parent of this JVM
            long other = ProcessHandle.current().parent().orElseThrow().pid();
            new RunFile(other, 1, 0, "x").write(dir);
            NodeRuntime second = NodeRuntime.open(new NodeHome(dir), Clock.system());
            assertThatThrownBy(second::start).hasMessageContaining("already runs in this home");
            second.close();
            assertThat(RunFile.read(dir).orElseThrow().pid()).isEqualTo(other);
        } finally {
            first.close();
        }
    }

    @Test
    void writesCommitDurablyAndSurviveReopen() throws Exception {
        Path dir = copy();
        long rev;
        try (NodeRuntime node = NodeRuntime.open(new NodeHome(dir), Clock.system())) {
            node.start();
            WriteResult r = node.write(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, "k", Json.object().put("v", 1))));
            assertThat(r.replicated()).isFalse();
            rev = r.revision();
        }
        try (NodeRuntime node = NodeRuntime.open(new NodeHome(dir), Clock.system())) {
            assertThat(node.store().revision()).isEqualTo(rev);
            assertThat(node.status().path("revision").asLong()).isEqualTo(rev);
        }
    }

    /** The status document keeps every field of DESIGN.md §7, in order, before and after the node starts. */
    @Test
    void statusHasEveryFieldBeforeAndAfterStart() throws Exception {
        Path dir = copy();
        java.util.List<String> top = java.util.List.of("nodeId", "role", "state", "active", "writable", "epoch",
                "revision", "configHash", "peer", "certificateFingerprint", "pid", "startedAt", "adminPort", "haPort",
                "sync", "failovers", "settings", "replicated", "activeAlerts");
        java.util.List<String> peer = java.util.List.of("nodeId", "address", "state", "revision", "lagRevisions",
                "lastHeartbeatMillisAgo", "connected", "connectedSince", "seenFromHost", "lastSuccessfulPush");
        try (NodeRuntime node = NodeRuntime.open(new NodeHome(dir), Clock.system())) {
            var before = node.status();
            assertThat((iterable(before.fieldNames()))).containsExactlyElementsOf(top);
            assertThat((iterable(before.path("peer").fieldNames()))).containsExactlyElementsOf(peer);
            assertThat(before.path("state").asText()).isEqualTo("STARTING");
            assertThat(before.path("startedAt").isNull()).isTrue();
            node.start();
            var after = node.status();
            java.util.List<String> started = new java.util.ArrayList<>(top);
            started.add(started.indexOf("settings"), "dataPlane");
            assertThat((iterable(after.fieldNames()))).containsExactlyElementsOf(started);
            assertThat(after.path("adminPort").asInt()).isEqualTo(node.adminPort()).isPositive();
            assertThat(after.path("haPort").asInt()).isPositive();
            assertThat(after.path("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
            assertThat(after.path("dataPlane").path("mappingsBound").asLong()).isZero();
            assertThat(after.path("replicated").path("collections").size()).isPositive();
            assertThat(after.path("settings").path("source").asText()).endsWith("node.json");
        }
    }

    private static java.util.List<String> iterable(java.util.Iterator<String> it) {
        java.util.List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void aBusyAdminPortIsAClearErrorAndLeavesNoRunFile() throws Exception {
        Path dir = copy();
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            NodeHome home = new NodeHome(dir);
            home.saveSettings(home.loadSettings().withPorts(busy.getLocalPort(), 0));
            NodeRuntime node = NodeRuntime.open(home, Clock.system());
            assertThatThrownBy(node::start)
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("adminPort: cannot listen on 127.0.0.1:" + busy.getLocalPort())
                    .hasMessageContaining("expected: a free port");
            node.close();
            assertThat(RunFile.path(dir)).doesNotExist();
        }
    }

    @Test
    void badNodeJsonNamesTheFileAndField() throws Exception {
        Path dir = copy();
        String json = Files.readString(dir.resolve("node.json")).replace("\"takeoverDelay\" : \"2s\"", "\"takeoverDelay\" : \"soon\"");
        Files.writeString(dir.resolve("node.json"), json);
        assertThatThrownBy(() -> NodeRuntime.open(new NodeHome(dir), Clock.system()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(dir.resolve("node.json").toString())
                .hasMessageContaining("takeoverDelay");
    }

    @Test
    void badStateJsonNamesTheFile() throws Exception {
        Path dir = copy();
        Files.writeString(dir.resolve("state.json"), "{\"epoch\": -3, \"role\": \"master\", \"lastAckedRevision\": 0}");
        assertThatThrownBy(() -> NodeRuntime.open(new NodeHome(dir), Clock.system()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(dir.resolve("state.json").toString())
                .hasMessageContaining("epoch");
    }
}
