package dev.understudy.dist.node;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.config.ListenAddress;
import dev.understudy.common.config.Mapping;
import dev.understudy.common.home.HostPort;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The mapping rules that need facts only this node has, checked on the write path before a change
 * set is committed (the generic rules, forwarding loops through loopback among them, are common's
 * ChangeValidator): a mapping must not listen on this node's admin or HA port, nor on the HA port of
 * the peer it knows (the peer could not bind it when it serves), and its backend must not be an
 * address of this node's interfaces on a port a mapping listens on there (a forwarding loop the text
 * alone cannot show). Values the generic validation would reject anyway are skipped here.
 *
 * @param adminHost   where the admin API is bound
 * @param adminPort   the admin API's port (as bound)
 * @param haHost      where the HA port is bound
 * @param haPort      the HA port (as bound or configured; 0 when neither is known)
 * @param peerHa      the peer's HA address as this node knows it, or null
 * @param localAddress whether a literal address is one of this node's interface addresses
 */
record LocalMappingRules(String adminHost, int adminPort, String haHost, int haPort, HostPort peerHa,
                         Predicate<InetAddress> localAddress) {

    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    /** Whether {@code a} is an address of one of this machine's network interfaces. */
    static boolean isInterfaceAddress(InetAddress a) {
        try {
            return a.isLoopbackAddress() || a.isAnyLocalAddress() || NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    /**
     * Refuses {@code changes} when a mapping it puts would hurt this node; {@code mappings} is the
     * document's mappings before the change (read only when a backend is a local interface address).
     */
    void check(ChangeSet changes, java.util.function.Supplier<List<Mapping>> mappings) throws InvalidChangeException {
        if (changes == null || changes.ops() == null) {
            return;
        }
        List<ChangeOp> ops = changes.ops();
        Map<String, Mapping> puts = new HashMap<>();
        List<String> deleted = new ArrayList<>();
        List<Integer> putIndex = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            ChangeOp op = ops.get(i);
            if (op == null || !ConfigCollection.MAPPINGS.wireName().equals(op.collection())) {
                continue;
            }
            if (!op.isPut()) {
                deleted.add(op.id());
                puts.remove(op.id());
                continue;
            }
            Mapping m = parse(op);
            if (m == null) {
                continue;
            }
            String at = "ops[" + i + "].value.listenPort: " + m.listenPort();
            if (m.listenPort() == adminPort && ListenAddress.overlaps(m.listenHost(), adminHost)) {
                throw new InvalidChangeException(at + " (expected: not this node's admin port " + adminHost + ":" + adminPort
                        + "; choose another listenPort)");
            }
            if (haPort > 0 && m.listenPort() == haPort && ListenAddress.overlaps(m.listenHost(), haHost)) {
                throw new InvalidChangeException(at + " (expected: not this node's HA port " + haHost + ":" + haPort
                        + "; choose another listenPort)");
            }
            if (peerHa != null && m.listenPort() == peerHa.port()) {
                throw new InvalidChangeException(at + " (expected: not the HA port of the peer at " + peerHa
                        + ", which could not serve this mapping when it takes over; choose another listenPort)");
            }
            puts.put(m.id(), m);
            putIndex.add(i);
        }
        List<Mapping> after = null;
        for (int i : putIndex) {
            Mapping m = parse(ops.get(i));
            if (puts.get(m.id()) == null || !puts.get(m.id()).equals(m) || !isLocalLiteral(m.backendHost())) {
                continue;
            }
            if (after == null) {
                after = new ArrayList<>();
                for (Mapping old : mappings.get()) {
                    if (!puts.containsKey(old.id()) && !deleted.contains(old.id())) {
                        after.add(old);
                    }
                }
                after.addAll(puts.values());
            }
            for (Mapping l : after) {
                if (l.listenPort() == m.backendPort()
                        && (ListenAddress.isWildcard(l.listenHost()) || ListenAddress.reaches(m.backendHost(), l.listenHost()))) {
                    String whose = l.id().equals(m.id()) ? "this mapping itself" : "mapping '" + l.id() + "'";
                    throw new InvalidChangeException("ops[" + i + "].value.backendPort: " + m.backendHost() + ":"
                            + m.backendPort() + " (expected: a backend that is not a listen address of this node; "
                            + m.backendHost() + " is an address of this node and " + whose + " listens on "
                            + l.listenHost() + ":" + l.listenPort() + ", so every connection would loop back into the node)");
                }
            }
        }
    }

    private boolean isLocalLiteral(String host) {
        if (!IP_LITERAL.matcher(host).matches() || ListenAddress.isLoopback(host)) {
            return false; // names are not resolved on the write path; loopback is common's rule
        }
        try {
            return localAddress.test(InetAddress.getByName(host)); // a literal: parsed, not looked up
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static Mapping parse(ChangeOp op) {
        JsonNode v = op.value();
        if (v == null || !v.isObject() || op.id() == null || !v.path("listenPort").canConvertToInt()
                || !v.path("backendPort").canConvertToInt() || !v.path("backendHost").isTextual()
                || (v.has("listenHost") && !v.get("listenHost").isTextual())) {
            return null;
        }
        return Mapping.of(op.id(), v);
    }
}
