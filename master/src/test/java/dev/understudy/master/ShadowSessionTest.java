package dev.understudy.master;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.IntNode;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Revision;
import dev.understudy.common.testing.FakeClock;
import dev.understudy.ha.codec.HaPipeline;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.handshake.PeerView;
import dev.understudy.ha.handshake.Versions;
import dev.understudy.ha.message.Ack;
import dev.understudy.ha.message.Delta;
import dev.understudy.ha.message.FullSync;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Heartbeat;
import dev.understudy.ha.message.Hello;
import dev.understudy.ha.message.Nack;
import dev.understudy.master.replication.ReplicationSession;
import dev.understudy.master.replication.ReplicationSource;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The master's shadow session on an {@link EmbeddedChannel} with the real HA codec: frames in (HELLO, ACK, NACK),
 * frames out (DELTA, FULL_SYNC, HEARTBEAT), and the writers waiting in the {@link AckRegistry}.
 */
class ShadowSessionTest {

    @TempDir
    Path dir;
    ConfigStore store;
    AlertStore alerts;
    final FakeClock clock = new FakeClock();
    final AckRegistry acks = new AckRegistry();
    final List<FailoverEvent> events = new ArrayList<>();
    final AtomicReference<PeerView> peer = new AtomicReference<>(PeerView.NONE);
    final AtomicLong pushes = new AtomicLong();
    EmbeddedChannel channel;
    ShadowSession session;

    @BeforeEach
    void open() throws Exception {
        store = ConfigStore.open(dir.resolve("config"));
        alerts = AlertStore.open(dir.resolve("alerts.json"), clock);
        channel = new EmbeddedChannel();
        HaPipeline.addCodec(channel.pipeline());
        channel.pipeline().addLast(HaPipeline.HANDLER, new SimpleChannelInboundHandler<HaMessage>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, HaMessage msg) {
                session.onMessage(msg);
            }
        });
    }

    @AfterEach
    void close() throws Exception {
        channel.finishAndReleaseAll();
        store.close();
    }

    Revision commit(String key, int v) throws Exception {
        return store.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, key, IntNode.valueOf(v))));
    }

    /** A session admitted for the shadow whose HELLO (fed through the codec) says it is at {@code revision}. */
    void admit(long revision, String hash) {
        Hello hello = decode(frame(new Hello("shadow-1", "shadow", "SHADOW_SYNCED", 3, revision, hash, Versions.SOFTWARE,
                Versions.PROTOCOL, "10.0.0.2:7400", null, null)), Hello.class);
        var cx = new ShadowSession.Context(ReplicationSource.of(store), new ReplicationSession.Settings(
                // ticks an hour apart: the embedded event loop runs due timers by the real clock, and none may fall due
                Duration.ofHours(1).toNanos(), Duration.ofHours(2).toNanos(), Duration.ofHours(4).toNanos(), 1000),
                clock, () -> 3, () -> "ACTIVE_PAIRED", events::add, alerts, new PushAlerts(alerts, clock), acks, peer::set,
                () -> "shadow-1", pushes, new AtomicLong());
        session = new ShadowSession(cx, channel, hello, hello.haAddress());
        session.start(false);
    }

    /** The bytes {@code m} is on the wire. */
    static ByteBuf frame(HaMessage m) {
        EmbeddedChannel wire = new EmbeddedChannel();
        HaPipeline.addCodec(wire.pipeline());
        wire.writeOutbound(m);
        ByteBuf out = wire.readOutbound();
        wire.finishAndReleaseAll();
        return out;
    }

    static <T extends HaMessage> T decode(ByteBuf bytes, Class<T> type) {
        EmbeddedChannel wire = new EmbeddedChannel();
        HaPipeline.addCodec(wire.pipeline());
        wire.writeInbound(bytes);
        Object m = wire.readInbound();
        wire.finishAndReleaseAll();
        assertThat(m).isInstanceOf(type);
        return type.cast(m);
    }

    /** Every message the session wrote since the last call, decoded from the channel's outbound bytes. */
    List<HaMessage> written() {
        List<HaMessage> out = new ArrayList<>();
        for (Object o; (o = channel.readOutbound()) != null; ) {
            out.add(decode((ByteBuf) o, HaMessage.class));
        }
        return out;
    }

    @Test
    void aShadowBehindGetsTheMissingRevisionsAndItsAckCompletesTheWaitingWriters() throws Exception {
        Revision r1 = commit("a", 1);
        Revision r2 = commit("b", 2);
        Revision r3 = commit("c", 3);
        admit(1, r1.hash());

        List<HaMessage> out = written();
        assertThat(out).hasSize(2);
        Delta d = (Delta) out.get(0);
        assertThat(d.baseRevision()).isEqualTo(1);
        assertThat(d.baseHash()).isEqualTo(r1.hash());
        assertThat(d.changes()).extracting(Revision::revision).containsExactly(2L, 3L);
        assertThat(out.get(1)).isInstanceOf(Heartbeat.class);
        assertThat(((Heartbeat) out.get(1)).revision()).isEqualTo(3);
        assertThat(pushes.get()).isEqualTo(1);

        CompletableFuture<Boolean> upTo2 = acks.register(2, session::acked);
        CompletableFuture<Boolean> upTo4 = acks.register(4, session::acked);
        assertThat(upTo2).isNotDone();
        channel.writeInbound(frame(new Ack(3, 2, r2.hash())));
        assertThat(upTo2).isCompletedWithValue(true);
        assertThat(upTo4).isNotDone();
        assertThat(session.acked()).isEqualTo(2);
        assertThat(peer.get().revision()).isEqualTo(2);

        channel.writeInbound(frame(new Ack(3, 3, r3.hash())));
        assertThat(session.acked()).isEqualTo(3);
        assertThat(events).contains(new FailoverEvent.SyncProgress(true));
        assertThat(acks.register(3, session::acked)).isCompletedWithValue(true);

        Revision r4 = commit("d", 4);
        session.pump();
        Delta next = (Delta) written().get(0);
        assertThat(next.baseRevision()).isEqualTo(3);
        assertThat(next.changes()).extracting(Revision::revision).containsExactly(r4.revision());
        assertThat(upTo4).isNotDone();
        acks.failAll();
        assertThat(upTo4).isCompletedWithValue(false);
        assertThat(acks.waiting()).isZero();
    }

    @Test
    void aNackAskingForAFullTransferIsAnsweredWithFullSyncChunksOfTheHead() throws Exception {
        Revision r1 = commit("a", 1);
        commit("b", 2);
        admit(2, store.head().hash());
        assertThat(written()).hasSize(1).first().isInstanceOf(Heartbeat.class); // in sync at HELLO: nothing to push

        channel.writeInbound(frame(new Nack(3, "config hash differs at revision 2", true, 2, r1.hash())));
        List<HaMessage> out = written();
        assertThat(out).isNotEmpty().allMatch(m -> m instanceof FullSync);
        FullSync last = (FullSync) out.get(out.size() - 1);
        assertThat(last.last()).isTrue();
        assertThat(last.revision()).isEqualTo(2);
        assertThat(last.hash()).isEqualTo(store.head().hash());
        assertThat(events).contains(new FailoverEvent.PushFailed("the shadow refused the push: config hash differs at revision 2"));

        // a revision committed while the transfer is in flight follows as a delta once the transfer is acknowledged
        String installed = store.head().hash();
        Revision r3 = commit("c", 3);
        session.pump();
        assertThat(written()).isEmpty();
        CompletableFuture<Boolean> waiting = acks.register(3, session::acked);
        channel.writeInbound(frame(new Ack(3, 2, installed)));
        Delta d = (Delta) written().get(0);
        assertThat(d.baseRevision()).isEqualTo(2);
        assertThat(d.changes()).extracting(Revision::revision).containsExactly(3L);
        assertThat(waiting).isNotDone();
        channel.writeInbound(frame(new Ack(3, 3, r3.hash())));
        assertThat(waiting).isCompletedWithValue(true);
    }

    @Test
    void aSecondHelloClosesTheConnection() throws Exception {
        admit(0, store.head().hash());
        written();
        channel.writeInbound(frame(new Hello("shadow-1", "shadow", "SHADOW_SYNCED", 3, 0, store.head().hash(),
                Versions.SOFTWARE, Versions.PROTOCOL, null, null, null)));
        assertThat(channel.isActive()).isFalse();
    }
}
