package dev.understudy.shadow;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.IntNode;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Revision;
import dev.understudy.common.testing.FakeClock;
import dev.understudy.ha.codec.HaPipeline;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.handshake.HaClientHandshake;
import dev.understudy.ha.handshake.Versions;
import dev.understudy.ha.message.Ack;
import dev.understudy.ha.message.Bye;
import dev.understudy.ha.message.Delta;
import dev.understudy.ha.message.FullSync;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Heartbeat;
import dev.understudy.ha.message.Hello;
import dev.understudy.ha.message.Nack;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shadow's connection to its master on an {@link EmbeddedChannel} with the real codec and HELLO exchange:
 * frames in (HELLO, DELTA, FULL_SYNC), frames out (HELLO, HEARTBEAT, ACK, NACK), and the store they update.
 */
class MasterConnectionTest {

    @TempDir
    Path dir;
    ConfigStore master;
    ConfigStore local;
    ShadowReplica replica;
    ShadowRole role;
    final FakeClock clock = new FakeClock();
    final List<FailoverEvent> events = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    EmbeddedChannel channel;

    @BeforeEach
    void open() throws Exception {
        master = ConfigStore.open(dir.resolve("m"));
        local = ConfigStore.open(dir.resolve("s"));
        replica = new ShadowReplica(local, clock);
        AlertStore alerts = AlertStore.open(dir.resolve("alerts.json"), clock);
        // heartbeats an hour apart: the embedded event loop runs due timers by the real clock
        role = new ShadowRole(new ShadowRole.Settings("shadow-1", new HostPort("10.0.0.1", 7400), "10.0.0.2:7400",
                Duration.ofHours(1), Duration.ofSeconds(5), null, null, null), null, replica, clock, () -> 4,
                () -> "SHADOW_SYNCED", events::add, alerts);
    }

    @AfterEach
    void close() throws Exception {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
        role.close();
        master.close();
        local.close();
    }

    /** Connects (the embedded channel is active at once) with the real HELLO stage; returns the shadow's HELLO. */
    Hello connect(String expectedFingerprint) {
        MasterConnection connection = new MasterConnection(role, () -> true, null, Runnable::run);
        HaClientHandshake handshake = new HaClientHandshake("master 10.0.0.1:7400", () -> new Hello("shadow-1",
                "shadow", "SHADOW_SYNCED", 4, replica.head().revision(), replica.head().hash(), Versions.SOFTWARE,
                Versions.PROTOCOL, "10.0.0.2:7400", null, null), expectedFingerprint, Duration.ofHours(1),
                new HaClientHandshake.Listener() {
                    @Override
                    public void established(Channel ch, Hello peer, java.security.cert.X509Certificate c) {
                        connection.established(ch, peer, c);
                    }

                    @Override
                    public void failed(dev.understudy.ha.failover.FailoverEvent.Failure kind, String why) {
                        failures.add(kind + ": " + why);
                        connection.failed(kind, why);
                    }
                });
        // the pipeline is built before the channel turns active, as a real connection's initializer builds it
        channel = new EmbeddedChannel(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                HaPipeline.addCodec(ch.pipeline());
                ch.pipeline().addLast(HaClientHandshake.NAME, handshake);
                ch.pipeline().addLast(HaPipeline.HANDLER, connection);
            }
        });
        List<HaMessage> out = written();
        return out.isEmpty() ? null : (Hello) out.get(0);
    }

    void masterHello(String softwareVersion) {
        channel.writeInbound(frame(new Hello("master-1", "master", "ACTIVE_PAIRED", 4, master.head().revision(),
                master.head().hash(), softwareVersion, Versions.PROTOCOL, null, null, null, 8443)));
    }

    Revision commit(String key, int v) throws Exception {
        return master.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, key, IntNode.valueOf(v))));
    }

    static ByteBuf frame(HaMessage m) {
        EmbeddedChannel wire = new EmbeddedChannel();
        HaPipeline.addCodec(wire.pipeline());
        wire.writeOutbound(m);
        ByteBuf out = wire.readOutbound();
        wire.finishAndReleaseAll();
        return out;
    }

    List<HaMessage> written() {
        channel.runPendingTasks();
        List<HaMessage> out = new ArrayList<>();
        EmbeddedChannel wire = new EmbeddedChannel();
        HaPipeline.addCodec(wire.pipeline());
        for (Object o; (o = channel.readOutbound()) != null; ) {
            wire.writeInbound(o);
        }
        for (Object m; (m = wire.readInbound()) != null; ) {
            out.add((HaMessage) m);
        }
        wire.finishAndReleaseAll();
        return out;
    }

    @Test
    void deltasAreAppliedDurablyAndAcknowledgedOnceAfterTheHelloExchange() throws Exception {
        Hello mine = connect(null);
        assertThat(mine.nodeId()).isEqualTo("shadow-1");
        assertThat(mine.revision()).isZero();
        Revision r1 = commit("a", 1);
        Revision r2 = commit("b", 2);
        masterHello(Versions.SOFTWARE);
        assertThat(events).anyMatch(e -> e instanceof FailoverEvent.Connected);
        assertThat(role.masterAdminPort()).isEqualTo(8443);
        assertThat(written()).hasSize(1).first().isInstanceOf(Heartbeat.class); // the first heartbeat at once

        // two deltas in one read batch: one fsync, one cumulative ACK
        channel.writeInbound(frame(new Delta(4, 0, local.hash(), List.of(r1))), frame(new Delta(4, 1, r1.hash(), List.of(r2))));
        assertThat(written()).containsExactly(new Ack(4, 2, master.hash()));
        assertThat(local.durableHead()).isEqualTo(master.head());
        assertThat(role.peer().nodeId()).isEqualTo("master-1");
    }

    @Test
    void aDeltaOnAnotherBaseIsRefusedWithANackAndTheStoreKeepsItsRevision() throws Exception {
        connect(null);
        commit("a", 1);
        Revision r2 = commit("b", 2);
        masterHello(Versions.SOFTWARE);
        written();
        channel.writeInbound(frame(new Delta(4, 1, r2.hash(), List.of(r2))));
        List<HaMessage> out = written();
        assertThat(out).hasSize(1).first().isInstanceOf(Nack.class);
        Nack nack = (Nack) out.get(0);
        assertThat(nack.needFull()).isTrue();
        assertThat(nack.revision()).isZero();
        assertThat(local.head().revision()).isZero();
    }

    @Test
    void aFullTransferIsInstalledAndAcknowledgedAtItsRevision() throws Exception {
        connect(null);
        commit("a", 1);
        commit("b", 2);
        masterHello(Versions.SOFTWARE);
        written();
        byte[] doc = Json.toBytes(master.snapshot().document().toJson());
        channel.writeInbound(frame(new FullSync(4, 1, 2, master.hash(), 0, 1, doc.length, "pairing", doc)));
        assertThat(written()).containsExactly(new Ack(4, 2, master.hash()));
        assertThat(local.head()).isEqualTo(master.head());
        assertThat(events).contains(new FailoverEvent.SyncProgress(true));
    }

    @Test
    void aMasterOfAnIncompatibleVersionIsRefusedBeforeAnythingIsApplied() throws Exception {
        connect(null);
        masterHello("99.0.0");
        assertThat(channel.isActive()).isFalse();
        assertThat(failures).singleElement().asString().startsWith("ERROR: ").contains("99.0.0");
        assertThat(events).containsExactly(new FailoverEvent.ConnectFailed(FailoverEvent.Failure.ERROR));
    }

    @Test
    void aByeInsteadOfHelloIsReportedOnceAndNothingElseIsSent() throws Exception {
        connect(null);
        channel.writeInbound(frame(new Bye(0, "NOT_PAIRED", "this master is not paired")));
        assertThat(channel.isActive()).isFalse();
        assertThat(failures).singleElement().asString().contains("NOT_PAIRED");
        assertThat(written()).isEmpty();
    }

    @Test
    void anExpectedFingerprintWithoutAPresentedCertificateSendsNoHello() {
        assertThat(connect("AA:BB")).isNull();
        assertThat(channel.isActive()).isFalse();
        assertThat(failures).singleElement().asString().contains("does not match --master-fingerprint AA:BB");
    }
}
