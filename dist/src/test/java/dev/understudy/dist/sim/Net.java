package dev.understudy.dist.sim;

import dev.understudy.ha.failover.FailoverEvent.Failure;
import dev.understudy.ha.message.HaMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The simulated network between the nodes of one cluster: TCP-like connections (ordered per direction,
 * a reset when a corrupting middlebox drops data), links that can be cut in one or both directions
 * (data waits, as TCP retransmits, and arrives after the heal), extra delay with jitter.
 */
final class Net {

    /** One connection; side 0 is the client (who connected), side 1 the server. */
    static final class Conn {
        final int id;
        final SimNode[] node = new SimNode[2];
        final long[] incarnation = new long[2];
        final boolean[] open = {true, true};
        final long[] lastArrival = new long[2];
        /** What the server side knows of this connection: null until HELLO, else "shadow" or the checking peer's id. */
        String serverRole;
        Consumer<HaMessage> clientHandler;
        Runnable clientClosed;

        Conn(int id, SimNode client, SimNode server) {
            this.id = id;
            node[0] = client;
            node[1] = server;
            incarnation[0] = client.incarnation();
            incarnation[1] = server.incarnation();
        }

        int sideOf(SimNode n) {
            return node[0] == n ? 0 : 1;
        }

        boolean openAt(SimNode n) {
            int s = sideOf(n);
            return open[s] && n.incarnation() == incarnation[s];
        }
    }

    private record Held(Conn conn, int toSide, Object payload) {}

    private final Cluster cluster;
    private int ids;
    /** cut[a][b]: data from node index a to node index b waits. */
    final boolean[][] cut = new boolean[2][2];
    final List<List<Held>> held = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    double dropProbability;
    long extraDelayNanos;
    final List<Conn> conns = new ArrayList<>();

    Net(Cluster cluster) {
        this.cluster = cluster;
    }

    private long latency() {
        long base = 100_000 + cluster.netRnd.nextInt(900_000);
        if (extraDelayNanos > 0) {
            base += (long) (cluster.netRnd.nextDouble() * extraDelayNanos);
        }
        return base;
    }

    private static final Object FIN = new Object();

    /**
     * Opens a connection from {@code from} to {@code to}: {@code onOpen} once established, else
     * {@code onFail} with what the client would see (refused by a host where nothing listens, a timeout
     * across a cut link).
     */
    void connect(SimNode from, SimNode to, long connectTimeoutNanos, Consumer<Conn> onOpen, Consumer<Failure> onFail) {
        int a = from.index();
        int b = to.index();
        if (cut[a][b] || cut[b][a]) {
            from.timer(connectTimeoutNanos, () -> onFail.accept(Failure.TIMEOUT));
            return;
        }
        long rtt = 2 * latency();
        if (!to.up() || !to.listening()) {
            from.timer(rtt, () -> onFail.accept(Failure.REFUSED));
            return;
        }
        Conn c = new Conn(++ids, from, to);
        conns.add(c);
        // the kernel accepts even while the process is paused: the HELLO then waits for it
        from.timer(rtt, () -> onOpen.accept(c));
    }

    void send(Conn c, SimNode from, HaMessage msg) {
        if (c.openAt(from)) {
            transmit(c, 1 - c.sideOf(from), msg);
        }
    }

    /** Closes {@code from}'s side; the other side learns of it after the data already sent. */
    void close(Conn c, SimNode from) {
        int s = c.sideOf(from);
        if (c.open[s]) {
            c.open[s] = false;
            transmit(c, 1 - s, FIN);
        }
    }

    /** The process behind {@code n} is gone: its kernel resets every connection it had. */
    void crashed(SimNode n) {
        for (Conn c : new ArrayList<>(conns)) {
            for (int s = 0; s < 2; s++) {
                if (c.node[s] == n && c.open[s] && c.incarnation[s] == n.incarnation()) {
                    c.open[s] = false;
                    transmit(c, 1 - s, FIN);
                }
            }
        }
        conns.removeIf(c -> !c.open[0] && !c.open[1]);
    }

    private void transmit(Conn c, int toSide, Object payload) {
        int a = c.node[1 - toSide].index();
        int b = c.node[toSide].index();
        if (cut[a][b]) {
            held.get(a * 2 + b).add(new Held(c, toSide, payload));
            return;
        }
        if (payload != FIN && dropProbability > 0 && cluster.netRnd.nextDouble() < dropProbability) {
            // a dropped chunk of a TLS stream is a failed record: both ends see the connection reset
            arriveLater(c, toSide, FIN);
            arriveLater(c, 1 - toSide, FIN);
            return;
        }
        arriveLater(c, toSide, payload);
    }

    private void arriveLater(Conn c, int toSide, Object payload) {
        long at = Math.max(cluster.now() + latency(), c.lastArrival[toSide] + 1);
        c.lastArrival[toSide] = at;
        SimNode target = c.node[toSide];
        long inc = c.incarnation[toSide];
        cluster.at(at, () -> target.deliver(inc, () -> arrive(c, toSide, payload)));
    }

    private void arrive(Conn c, int side, Object payload) {
        if (!c.open[side]) {
            return;
        }
        SimNode n = c.node[side];
        if (payload == FIN) {
            c.open[side] = false;
            n.onClosed(c);
            if (!c.open[0] && !c.open[1]) {
                conns.remove(c);
            }
        } else {
            n.onMessage(c, (HaMessage) payload);
        }
    }

    /** Ends every cut: what waited is delivered in order. */
    void heal() {
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 2; b++) {
                setCut(a, b, false);
            }
        }
        dropProbability = 0;
        extraDelayNanos = 0;
    }

    void setCut(int a, int b, boolean on) {
        cut[a][b] = on;
        if (!on) {
            List<Held> waiting = new ArrayList<>(held.get(a * 2 + b));
            held.get(a * 2 + b).clear();
            for (Held h : waiting) {
                transmit(h.conn(), h.toSide(), h.payload());
            }
        }
    }
}
