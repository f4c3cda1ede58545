package dev.understudy.ha.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.home.Role;
import dev.understudy.ha.failover.FailoverEvent.Failure;
import dev.understudy.ha.failover.FailoverMachine.Transition;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Two failover machines wired through a simulated network that crashes, restarts, pauses and
 * partitions them. Whatever happens: no two nodes ever serve in the same epoch, and no node's
 * epoch (in memory or persisted) ever goes backwards, across restarts too.
 */
class FailoverProperties {

    static final FailoverTimings T = FailoverTimings.of(Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(2));
    static final long MS = 1_000_000L;

    enum Op { TICK_SHORT, TICK_LONG, HEARTBEATS, SYNCED, PARTITION, HEAL, CRASH_A, CRASH_B, RESTART_A, RESTART_B,
        SWITCH_A, SWITCH_B, FORCE_A, FORCE_B, IDLE_TIMEOUT }

    static final class Node {
        final String id;
        FailoverState m;
        boolean alive = true;
        boolean serving;
        long servingEpoch = -1;
        long persistedEpoch;
        Role persistedRole;
        long maxEpochEver;
        final Deque<FailoverEvent> inbox = new ArrayDeque<>();

        Node(String id, Role role, long epoch, boolean paired, long now) {
            this.id = id;
            persistedEpoch = epoch;
            persistedRole = role;
            boot(paired, now);
        }

        Transition boot(boolean paired, long now) {
            Transition t = FailoverMachine.initial(id, persistedRole, persistedEpoch, paired, T, now);
            m = t.next();
            return t;
        }

        PeerInfo info() {
            return new PeerInfo(id, m.state().role(), m.epoch(), m.state().serving(), 0);
        }
    }

    final class Sim {
        final Node a;
        final Node b;
        long now = 1_000 * MS;
        boolean partitioned;
        boolean link;

        Sim() {
            a = new Node("a", Role.MASTER, 1, true, now);
            b = new Node("b", Role.SHADOW, 1, true, now);
            // a paired master starts by checking; make a start as a plain serving master
            a.m = FailoverMachine.initial("a", Role.MASTER, 1, false, T, now).next().paired(true);
            a.serving = true;
            a.servingEpoch = 1;
            run(b, FailoverMachine.initial("b", Role.SHADOW, 1, true, T, now).actions());
        }

        Node other(Node n) {
            return n == a ? b : a;
        }

        boolean reachable(Node from) {
            return from.alive && other(from).alive && !partitioned;
        }

        void deliver(Node n, FailoverEvent e) {
            if (!n.alive) {
                return;
            }
            Transition t = FailoverMachine.step(n.m, e, T, now);
            assertThat(t.next().epoch()).isGreaterThanOrEqualTo(n.m.epoch());
            n.m = t.next();
            run(n, t.actions());
            check();
        }

        void run(Node n, List<FailoverAction> actions) {
            for (FailoverAction act : actions) {
                Node o = other(n);
                if (act instanceof FailoverAction.PersistState p) {
                    assertThat(p.epoch()).as("persisted epoch of %s", n.id).isGreaterThanOrEqualTo(n.persistedEpoch);
                    n.persistedEpoch = p.epoch();
                    n.persistedRole = p.role();
                    n.inbox.add(new FailoverEvent.Persisted(p.epoch(), p.role()));
                } else if (act instanceof FailoverAction.StartServing s) {
                    assertThat(n.persistedEpoch).as("epoch persisted before serving").isGreaterThanOrEqualTo(s.epoch());
                    n.serving = true;
                    n.servingEpoch = s.epoch();
                } else if (act instanceof FailoverAction.StopServing) {
                    n.serving = false;
                } else if (act instanceof FailoverAction.Connect) {
                    if (!reachable(n)) {
                        n.inbox.add(new FailoverEvent.ConnectFailed(o.alive ? Failure.TIMEOUT : Failure.REFUSED));
                    } else if (o.m.state().role() != Role.MASTER) {
                        n.inbox.add(new FailoverEvent.ConnectFailed(Failure.REFUSED));
                    } else {
                        link = true;
                        n.inbox.add(new FailoverEvent.Connected(o.info()));
                        o.inbox.add(new FailoverEvent.Connected(n.info()));
                    }
                } else if (act instanceof FailoverAction.Disconnect) {
                    if (link) {
                        link = false;
                        o.inbox.add(new FailoverEvent.ConnectionLost(Failure.CLOSED));
                    }
                } else if (act instanceof FailoverAction.CheckPeer) {
                    n.inbox.add(reachable(n) ? new FailoverEvent.PeerChecked(o.info(), null)
                            : new FailoverEvent.PeerChecked(null, o.alive ? Failure.TIMEOUT : Failure.REFUSED));
                } else if (act instanceof FailoverAction.SendDemote d) {
                    if (reachable(n)) {
                        o.inbox.add(new FailoverEvent.DemoteReceived(d.epoch(), n.id));
                    }
                } else if (act instanceof FailoverAction.SendPromote p) {
                    if (reachable(n) && link) {
                        o.inbox.add(new FailoverEvent.PromoteReceived(p.epoch()));
                    }
                } else if (act instanceof FailoverAction.FlushToPeer) {
                    if (reachable(n) && link) {
                        n.inbox.add(new FailoverEvent.HandoverAcked(0));
                    }
                }
            }
        }

        void drain() {
            for (int i = 0; i < 200 && (!a.inbox.isEmpty() || !b.inbox.isEmpty()); i++) {
                if (!a.inbox.isEmpty()) {
                    deliver(a, a.inbox.poll());
                }
                if (!b.inbox.isEmpty()) {
                    deliver(b, b.inbox.poll());
                }
            }
        }

        void check() {
            for (Node n : List.of(a, b)) {
                assertThat(n.persistedEpoch).as("persisted epoch of %s covers its memory", n.id).isGreaterThanOrEqualTo(
                        n.m.state() == HaState.PROMOTING ? n.m.epoch() : n.m.epoch());
                assertThat(n.m.epoch()).as("epoch of %s never goes backwards", n.id).isGreaterThanOrEqualTo(n.maxEpochEver);
                n.maxEpochEver = n.m.epoch();
            }
            if (a.alive && b.alive && a.serving && b.serving) {
                assertThat(a.servingEpoch).as("two nodes serving in the same epoch").isNotEqualTo(b.servingEpoch);
            }
        }

        void crash(Node n) {
            n.alive = false;
            n.serving = false;
            n.inbox.clear();
            if (link) {
                link = false;
                other(n).inbox.add(new FailoverEvent.ConnectionLost(Failure.CLOSED));
            }
        }

        void restart(Node n) {
            if (n.alive) {
                return;
            }
            n.alive = true;
            Transition t = n.boot(true, now);
            assertThat(n.m.epoch()).isGreaterThanOrEqualTo(n.maxEpochEver);
            run(n, t.actions());
        }

        void apply(Op op) {
            switch (op) {
                case TICK_SHORT -> { now += 60 * MS; tick(); }
                case TICK_LONG -> { now += 900 * MS; tick(); }
                case HEARTBEATS -> {
                    if (link && !partitioned && a.alive && b.alive) {
                        a.inbox.add(new FailoverEvent.PeerHeard(b.info()));
                        b.inbox.add(new FailoverEvent.PeerHeard(a.info()));
                    }
                }
                case SYNCED -> {
                    if (link && !partitioned) {
                        a.inbox.add(new FailoverEvent.SyncProgress(true));
                        b.inbox.add(new FailoverEvent.SyncProgress(true));
                    }
                }
                case PARTITION -> partitioned = true;
                case HEAL -> partitioned = false;
                case CRASH_A -> crash(a);
                case CRASH_B -> crash(b);
                case RESTART_A -> restart(a);
                case RESTART_B -> restart(b);
                case SWITCH_A -> a.inbox.add(new FailoverEvent.SwitchRolesRequested(false));
                case SWITCH_B -> b.inbox.add(new FailoverEvent.SwitchRolesRequested(true));
                case FORCE_A -> a.inbox.add(new FailoverEvent.ForcePromote());
                case FORCE_B -> b.inbox.add(new FailoverEvent.ForcePromote());
                case IDLE_TIMEOUT -> {
                    if (link && partitioned) {
                        link = false;
                        a.inbox.add(new FailoverEvent.ConnectionLost(Failure.TIMEOUT));
                        b.inbox.add(new FailoverEvent.ConnectionLost(Failure.TIMEOUT));
                    }
                }
                default -> throw new IllegalStateException();
            }
            drain();
        }

        void tick() {
            a.inbox.add(new FailoverEvent.Tick());
            b.inbox.add(new FailoverEvent.Tick());
        }
    }

    @Provide
    Arbitrary<List<Op>> schedules() {
        return Arbitraries.of(Op.class).list().ofMinSize(5).ofMaxSize(120);
    }

    @Property(tries = 2000)
    void neverTwoNodesServingInTheSameEpochAndEpochsNeverGoBackwards(@ForAll("schedules") List<Op> schedule) {
        Sim sim = new Sim();
        for (Op op : schedule) {
            sim.apply(op);
        }
        // heal everything and let the pair settle: exactly one node serves
        sim.partitioned = false;
        sim.restart(sim.a);
        sim.restart(sim.b);
        sim.drain();
        for (int i = 0; i < 40; i++) {
            sim.apply(Op.TICK_LONG);
            sim.apply(Op.HEARTBEATS);
            sim.apply(Op.SYNCED);
        }
        assertThat(sim.a.serving && sim.b.serving).as("both serving after heal: a=%s b=%s", sim.a.m, sim.b.m).isFalse();
        assertThat(sim.a.serving || sim.b.serving).as("nobody serving after heal: a=%s b=%s", sim.a.m, sim.b.m).isTrue();
    }
}
