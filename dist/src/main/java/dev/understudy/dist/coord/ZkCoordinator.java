package dev.understudy.dist.coord;

import dev.understudy.common.home.Coordination;
import dev.understudy.ha.group.GroupLeadership.Event;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's link to the group's znodes under {@code coordination.path}:
 * <pre>
 *   path/leader/...            Curator LeaderLatch: the leader lease (ephemeral, sequential)
 *   path/epoch                 the group's epoch, a decimal long, advanced only by compare-and-set
 *   path/candidates/nodeId     ephemeral: the candidate's last acknowledged revision
 * </pre>
 * Connection states and lease changes go to the {@code events} consumer as {@link Event}s (on Curator's
 * threads: the node loop must hand them to its own executor); {@link #advanceEpoch} is the fencing token.
 */
public final class ZkCoordinator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ZkCoordinator.class);

    /** Lifecycle of the adapter (started once, closed once). */
    enum Lifecycle { NEW, STARTED, CLOSED }

    private final Coordination settings;
    private final String nodeId;
    private final Consumer<Event> events;
    private final CuratorFramework client;
    private Lifecycle lifecycle = Lifecycle.NEW;
    private LeaderLatch latch;

    public ZkCoordinator(Coordination settings, String nodeId, Duration connectTimeout, Consumer<Event> events) {
        this.settings = settings;
        this.nodeId = nodeId;
        this.events = events;
        this.client = CuratorFrameworkFactory.builder()
                .connectString(settings.zookeeper().replace(" ", ""))
                .sessionTimeoutMs(Math.toIntExact(settings.sessionTimeout().toMillis()))
                .connectionTimeoutMs(Math.toIntExact(connectTimeout.toMillis()))
                .retryPolicy(new ExponentialBackoffRetry(100, 5, 1_000))
                .build();
        client.getConnectionStateListenable().addListener((c, state) -> events.accept(translate(state)));
    }

    static Event translate(ConnectionState state) {
        return switch (state) {
            case CONNECTED, RECONNECTED -> new Event.SessionConnected();
            case SUSPENDED -> new Event.SessionSuspended();
            case LOST -> new Event.SessionLost();
            case READ_ONLY -> new Event.SessionSuspended(); // read-only cannot hold a lease or advance the epoch
        };
    }

    public synchronized void start() {
        if (lifecycle != Lifecycle.NEW) {
            throw new IllegalStateException("ILLEGAL TRANSITION: " + lifecycle + " -> " + Lifecycle.STARTED);
        }
        lifecycle = Lifecycle.STARTED;
        client.start();
    }

    /** Enters the lease election (the core's CAMPAIGN); acquiring or losing it arrives as an event. */
    public synchronized void campaign() throws Exception {
        if (latch != null) {
            return;
        }
        LeaderLatch l = new LeaderLatch(client, settings.path() + "/leader", nodeId);
        l.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                events.accept(new Event.LeaseAcquired());
            }

            @Override
            public void notLeader() {
                events.accept(new Event.LeaseLost());
            }
        });
        latch = l;
        l.start();
    }

    /** Leaves the election and gives the lease back if held (the core's WITHDRAW). */
    public synchronized void withdraw() throws Exception {
        LeaderLatch l = latch;
        latch = null;
        if (l != null) {
            l.close(LeaderLatch.CloseMode.SILENT);
        }
    }

    /** Whether this node holds the lease as far as its latch knows. */
    public synchronized boolean holdsLease() {
        return latch != null && latch.hasLeadership();
    }

    /** The node id of the lease holder, or null when there is none (or ZooKeeper does not answer). */
    public String leaseHolder() {
        try {
            LeaderLatch probe = latch;
            if (probe != null) {
                String id = probe.getLeader().getId();
                return id.isEmpty() ? null : id;
            }
            List<String> kids = client.getChildren().forPath(settings.path() + "/leader");
            if (kids.isEmpty()) {
                return null;
            }
            String first = kids.stream().min((a, b) -> Long.compare(sequence(a), sequence(b))).orElseThrow();
            return new String(client.getData().forPath(settings.path() + "/leader/" + first), StandardCharsets.UTF_8);
        } catch (Exception e) {
            return null;
        }
    }

    private static long sequence(String child) {
        return Long.parseLong(child.substring(child.lastIndexOf('-') + 1));
    }

    /** The epoch stored in ZooKeeper (0 when the group has none yet). */
    public long epoch() throws Exception {
        try {
            return Long.parseLong(new String(client.getData().forPath(settings.path() + "/epoch"), StandardCharsets.UTF_8));
        } catch (KeeperException.NoNodeException e) {
            return 0;
        }
    }

    /** The epoch counter as read, with the znode version a compare-and-set must match. */
    public record EpochRead(long epoch, int version) {}

    /** Reads the group's epoch counter, creating it at 0 the first time. */
    public EpochRead readEpoch() throws Exception {
        String p = settings.path() + "/epoch";
        try {
            client.create().creatingParentsIfNeeded().forPath(p, "0".getBytes(StandardCharsets.UTF_8));
        } catch (KeeperException.NodeExistsException e) {
            // the counter exists already
        }
        Stat stat = new Stat();
        long current = Long.parseLong(new String(client.getData().storingStatIn(stat).forPath(p), StandardCharsets.UTF_8));
        return new EpochRead(current, stat.getVersion());
    }

    /**
     * Advances the epoch read in {@code from} by one with compare-and-set and returns the new value, the fencing
     * token; throws {@link KeeperException.BadVersionException} when another node advanced it since (the caller
     * lost the race and must not serve with it).
     */
    public long advanceEpoch(EpochRead from) throws Exception {
        long next = Math.addExact(from.epoch(), 1);
        client.setData().withVersion(from.version())
                .forPath(settings.path() + "/epoch", Long.toString(next).getBytes(StandardCharsets.UTF_8));
        log.info("group epoch {} -> {} in ZooKeeper ({}/epoch)", from.epoch(), next, settings.path());
        return next;
    }

    /** Reads and advances the epoch (the core's ADVANCE_EPOCH once the lease is held). */
    public long advanceEpoch() throws Exception {
        return advanceEpoch(readEpoch());
    }

    /** Publishes this candidate's acknowledged revision (ephemeral: it goes with the session). */
    public void publishRevision(long revision) throws Exception {
        String p = settings.path() + "/candidates/" + nodeId;
        byte[] data = Long.toString(revision).getBytes(StandardCharsets.UTF_8);
        try {
            client.setData().forPath(p, data);
        } catch (KeeperException.NoNodeException e) {
            client.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(p, data);
        }
    }

    /** Every live candidate's published revision, this node's included. */
    public Map<String, Long> candidates() throws Exception {
        String dir = settings.path() + "/candidates";
        Map<String, Long> out = new HashMap<>();
        List<String> kids;
        try {
            kids = client.getChildren().forPath(dir);
        } catch (KeeperException.NoNodeException e) {
            return out;
        }
        for (String id : kids) {
            try {
                out.put(id, Long.parseLong(new String(client.getData().forPath(dir + "/" + id), StandardCharsets.UTF_8)));
            } catch (KeeperException.NoNodeException e) {
                // its session ended between the listing and the read
            }
        }
        return out;
    }

    /** The current ZooKeeper session id in hex, or null while there is none. */
    public String sessionId() {
        try {
            long id = client.getZookeeperClient().getZooKeeper().getSessionId();
            return id == 0 ? null : "0x" + Long.toHexString(id);
        } catch (Exception e) {
            return null;
        }
    }

    /** The session timeout the ensemble granted (a server clamps the asked one to 2..20 x its tickTime). */
    public int negotiatedSessionTimeoutMillis() throws Exception {
        return client.getZookeeperClient().getZooKeeper().getSessionTimeout();
    }

    CuratorFramework client() {
        return client;
    }

    @Override
    public synchronized void close() {
        if (lifecycle == Lifecycle.CLOSED) {
            return;
        }
        lifecycle = Lifecycle.CLOSED;
        try {
            withdraw();
        } catch (Exception e) {
            log.debug("closing the leader latch: {}", e.toString());
        }
        client.close();
    }
}
