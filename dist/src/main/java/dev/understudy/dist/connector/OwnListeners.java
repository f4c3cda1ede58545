package dev.understudy.dist.connector;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The listen sockets this connector holds, by port, so that a backend connection can be refused
 * when it would arrive at one of them: a forwarding loop that no validation foresaw (a host name
 * that resolves to this node, an interface address added later) would otherwise make each client
 * connection open another one until the node runs out of file descriptors. Thread-safe; a lookup
 * for a port no listener holds costs one map read.
 */
final class OwnListeners {

    private final ConcurrentHashMap<Integer, Set<InetAddress>> byPort = new ConcurrentHashMap<>();

    void add(InetSocketAddress bound) {
        byPort.computeIfAbsent(bound.getPort(), p -> ConcurrentHashMap.newKeySet()).add(bound.getAddress());
    }

    void remove(InetSocketAddress bound) {
        Set<InetAddress> hosts = byPort.get(bound.getPort());
        if (hosts != null) {
            hosts.remove(bound.getAddress());
        }
    }

    /** Whether a connection to {@code target} (resolved) would be accepted by one of this connector's own sockets. */
    boolean accepts(InetSocketAddress target) {
        Set<InetAddress> hosts = byPort.get(target.getPort());
        if (hosts == null || hosts.isEmpty() || target.getAddress() == null) {
            return false;
        }
        InetAddress to = target.getAddress();
        for (InetAddress h : hosts) {
            if (h.equals(to) || (h.isAnyLocalAddress() && isThisMachine(to))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isThisMachine(InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return false;
        }
    }
}
