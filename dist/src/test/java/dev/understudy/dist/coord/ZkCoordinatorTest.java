package dev.understudy.dist.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.understudy.common.home.Coordination;
import dev.understudy.ha.group.GroupLeadership;
import dev.understudy.ha.group.GroupLeadership.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The adapter against a real ZooKeeper server in this JVM (curator-test), no mocks. */
class ZkCoordinatorTest {

    static final Duration WAIT = Duration.ofSeconds(20);
    TestingServer zk;
    final List<ZkCoordinator> open = new ArrayList<>();

    @BeforeEach
    void startServer() throws Exception {
        zk = new TestingServer(true); // a free port on loopback, a temp data directory
    }

    @AfterEach
    void stop() throws Exception {
        for (ZkCoordinator c : open) {
            c.close();
        }
        zk.close();
    }

    /** A started coordinator whose events land in {@code events}. */
    ZkCoordinator node(String id, BlockingQueue<Event> events) {
        Coordination c = new Coordination(zk.getConnectString(), "/understudy/test", Duration.ofSeconds(4));
        ZkCoordinator z = new ZkCoordinator(c, id, Duration.ofSeconds(2), events::add);
        open.add(z);
        z.start();
        return z;
    }

    /** {@link #node}, once its session is connected. */
    ZkCoordinator connected(String id, BlockingQueue<Event> events) throws InterruptedException {
        ZkCoordinator z = node(id, events);
        next(events, Event.SessionConnected.class);
        return z;
    }

    static <T extends Event> T next(BlockingQueue<Event> q, Class<T> type) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Event e = q.poll(100, TimeUnit.MILLISECONDS);
            if (type.isInstance(e)) {
                return type.cast(e);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " within " + WAIT);
    }

    @Test
    void oneLeaseHolderAtATimeAndClosingHandsItOn() throws Exception {
        BlockingQueue<Event> qa = new LinkedBlockingQueue<>();
        BlockingQueue<Event> qb = new LinkedBlockingQueue<>();
        ZkCoordinator a = node("a", qa);
        next(qa, Event.SessionConnected.class);
        a.campaign();
        next(qa, Event.LeaseAcquired.class);
        ZkCoordinator b = node("b", qb);
        next(qb, Event.SessionConnected.class);
        b.campaign();
        assertThat(a.holdsLease()).isTrue();
        assertThat(b.leaseHolder()).isEqualTo("a");
        assertThat(qb.poll(500, TimeUnit.MILLISECONDS)).as("b does not get a held lease").isNull();
        a.withdraw();
        next(qb, Event.LeaseAcquired.class);
        assertThat(b.holdsLease()).isTrue();
        assertThat(a.holdsLease()).isFalse();
        assertThat(a.leaseHolder()).isEqualTo("b");
    }

    @Test
    void sessionExpiryLosesTheLeaseAndTellsTheCore() throws Exception {
        BlockingQueue<Event> qa = new LinkedBlockingQueue<>();
        BlockingQueue<Event> qb = new LinkedBlockingQueue<>();
        ZkCoordinator a = connected("a", qa);
        ZkCoordinator b = connected("b", qb);
        a.campaign();
        next(qa, Event.LeaseAcquired.class);
        b.campaign();
        String before = a.sessionId();
        a.client().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
        next(qa, Event.LeaseLost.class);
        next(qb, Event.LeaseAcquired.class);
        await().atMost(WAIT).until(() -> a.sessionId() != null && !a.sessionId().equals(before));
        assertThat(b.leaseHolder()).isEqualTo("b");
    }

    @Test
    void serverGoneSuspendsThenLosesTheSessionAndReconnectsWhenItIsBack() throws Exception {
        BlockingQueue<Event> qa = new LinkedBlockingQueue<>();
        node("a", qa);
        next(qa, Event.SessionConnected.class);
        zk.stop();
        next(qa, Event.SessionSuspended.class);
        next(qa, Event.SessionLost.class);
        zk.restart();
        next(qa, Event.SessionConnected.class);
    }

    @Test
    void concurrentEpochAdvancesFromTheSameVersionHaveExactlyOneWinnerPerRound() throws Exception {
        int n = 6;
        List<ZkCoordinator> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            nodes.add(node("n" + i, new LinkedBlockingQueue<>()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            long last = nodes.get(0).readEpoch().epoch();
            assertThat(last).as("a new group starts at 0").isZero();
            for (int round = 0; round < 20; round++) {
                ZkCoordinator.EpochRead from = nodes.get(0).readEpoch(); // every racer read the same version
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Long>> tries = new ArrayList<>();
                for (ZkCoordinator z : nodes) {
                    tries.add(pool.submit(() -> {
                        assertThat(go.await(10, TimeUnit.SECONDS)).isTrue();
                        try {
                            return z.advanceEpoch(from);
                        } catch (KeeperException.BadVersionException lost) {
                            return -1L;
                        }
                    }));
                }
                go.countDown();
                List<Long> won = new ArrayList<>();
                for (Future<Long> f : tries) {
                    long e = f.get(20, TimeUnit.SECONDS);
                    if (e > 0) {
                        won.add(e);
                    }
                }
                assertThat(won).as("round " + round).containsExactly(last + 1);
                assertThat(nodes.get(round % n).readEpoch().epoch()).isEqualTo(last + 1);
                last = last + 1;
            }
            assertThat(nodes.get(0).advanceEpoch()).as("a fresh read advances again").isEqualTo(21);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void candidatesPublishRevisionsAndTheOneAheadTakesTheLease() throws Exception {
        BlockingQueue<Event> qa = new LinkedBlockingQueue<>();
        BlockingQueue<Event> qb = new LinkedBlockingQueue<>();
        ZkCoordinator a = connected("a", qa);
        ZkCoordinator b = connected("b", qb);
        a.publishRevision(40);
        b.publishRevision(42);
        assertThat(a.candidates()).containsEntry("a", 40L).containsEntry("b", 42L);
        // each node's core, fed what ZooKeeper shows, when the failover machines say the master is gone
        GroupLeadership core = new GroupLeadership(new GroupLeadership.Settings(600_000_000L, 10_000_000_000L));
        long now = 0;
        GroupLeadership.State sa = GroupLeadership.initial(40);
        GroupLeadership.State sb = GroupLeadership.initial(42);
        List<GroupLeadership.Action> actA = new ArrayList<>();
        List<GroupLeadership.Action> actB = new ArrayList<>();
        for (Event e : events(a)) {
            GroupLeadership.Result r = core.handle(sa, e, now);
            sa = r.state();
            actA.addAll(r.actions());
        }
        for (Event e : events(b)) {
            GroupLeadership.Result r = core.handle(sb, e, now);
            sb = r.state();
            actB.addAll(r.actions());
        }
        assertThat(actA).as("a is behind b: it waits").doesNotContain(GroupLeadership.Action.CAMPAIGN);
        assertThat(actB).containsExactly(GroupLeadership.Action.CAMPAIGN);
        b.campaign();
        next(qb, Event.LeaseAcquired.class);
        sb = core.handle(sb, new Event.LeaseAcquired(), now).state();
        long epoch = b.advanceEpoch();
        GroupLeadership.Result r = core.handle(sb, new Event.EpochAdvanced(epoch), now);
        assertThat(r.state().takingWrites()).isTrue();
        assertThat(a.leaseHolder()).isEqualTo("b");
        assertThat(epoch).isEqualTo(1);
        b.close(); // b's session ends: its candidate znode and lease go with it
        await().atMost(WAIT).until(() -> !a.candidates().containsKey("b"));
    }

    private static List<Event> events(ZkCoordinator z) throws Exception {
        List<Event> out = new ArrayList<>();
        out.add(new Event.SessionConnected());
        z.candidates().forEach((id, rev) -> out.add(new Event.CandidateRevision(id, rev)));
        out.add(new Event.MasterGone());
        return out;
    }
}
