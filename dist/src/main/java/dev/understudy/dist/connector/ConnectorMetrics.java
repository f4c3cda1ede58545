package dev.understudy.dist.connector;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the connector, per mapping and in total; thread-safe and cheap to update from event loops.
 *
 * <p>Counts are monotonic except {@code active}. The counters of a mapping are dropped when the mapping
 * is removed from the configuration; the totals keep everything since the connector was made.
 */
public final class ConnectorMetrics {

    /** The counters of one mapping, or of all of them together. */
    public static final class Counters {
        /** Counters that never move, for a node whose data plane has not started. */
        public static final Counters ZERO = new Counters(null);

        private final Counters parent;
        private final LongAdder accepted = new LongAdder();
        private final LongAdder active = new LongAdder();
        private final LongAdder failed = new LongAdder();
        private final LongAdder clientToBackend = new LongAdder();
        private final LongAdder backendToClient = new LongAdder();

        Counters(Counters parent) {
            this.parent = parent;
        }

        /** Client connections accepted on the listen socket. */
        public long accepted() {
            return accepted.sum();
        }

        /** Client connections currently open (accepted and not yet closed). */
        public long active() {
            return active.sum();
        }

        /** Client connections closed because the backend refused or did not answer within the connect timeout. */
        public long failed() {
            return failed.sum();
        }

        /** Bytes read from clients and relayed towards the backend. */
        public long bytesClientToBackend() {
            return clientToBackend.sum();
        }

        /** Bytes read from the backend and relayed towards clients. */
        public long bytesBackendToClient() {
            return backendToClient.sum();
        }

        void onAccepted() {
            accepted.increment();
            active.increment();
            if (parent != null) {
                parent.onAccepted();
            }
        }

        void onClosed() {
            active.decrement();
            if (parent != null) {
                parent.onClosed();
            }
        }

        void onFailed() {
            failed.increment();
            if (parent != null) {
                parent.onFailed();
            }
        }

        void addClientToBackend(long bytes) {
            clientToBackend.add(bytes);
            if (parent != null) {
                parent.addClientToBackend(bytes);
            }
        }

        void addBackendToClient(long bytes) {
            backendToClient.add(bytes);
            if (parent != null) {
                parent.addBackendToClient(bytes);
            }
        }

        @Override
        public String toString() {
            return "accepted=" + accepted() + " active=" + active() + " failed=" + failed()
                    + " bytesClientToBackend=" + bytesClientToBackend()
                    + " bytesBackendToClient=" + bytesBackendToClient();
        }
    }

    private final Counters total = new Counters(null);
    private final ConcurrentHashMap<String, Counters> byMapping = new ConcurrentHashMap<>();

    /** The sums over every mapping, including removed ones. */
    public Counters total() {
        return total;
    }

    /** The counters of the mapping with this id, if it is configured. */
    public Optional<Counters> mapping(String id) {
        return Optional.ofNullable(byMapping.get(id));
    }

    /** A snapshot of the per-mapping counters, sorted by mapping id; the counter objects are live. */
    public Map<String, Counters> mappings() {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(byMapping));
    }

    Counters register(String id) {
        return byMapping.computeIfAbsent(id, k -> new Counters(total));
    }

    void unregister(String id) {
        byMapping.remove(id);
    }
}
