package dev.understudy.common.config;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What a host string in a mapping means for the node's own sockets, from the text alone (no name
 * resolution): which listen hosts share a socket, and which backend hosts lead back to a listen
 * socket of the same node. A node that knows more (its interface addresses) adds to this in dist.
 */
public final class ListenAddress {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    private ListenAddress() {}

    /** The any-address: a socket bound to it accepts on every interface of the node. */
    public static boolean isWildcard(String host) {
        String h = normalize(host);
        return h.equals("0.0.0.0") || h.equals("::") || h.equals("0:0:0:0:0:0:0:0");
    }

    /** A name or literal that always means this node itself (localhost, 127.0.0.0/8, ::1). */
    public static boolean isLoopback(String host) {
        String h = normalize(host);
        return h.equals("localhost") || h.endsWith(".localhost") || (IPV4.matcher(h).matches() && h.startsWith("127."))
                || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1");
    }

    /** Whether two listen hosts on the same port would want the same socket. */
    public static boolean overlaps(String a, String b) {
        return normalize(a).equals(normalize(b)) || isWildcard(a) || isWildcard(b);
    }

    /**
     * Whether a connection to {@code backendHost} on a port arrives at a socket listening on
     * {@code listenHost} with that port on the same node: the same host (a listen host is an address
     * of the node, or it could not be bound), a wildcard listener reached through loopback or the
     * any-address (which connects to the node itself), or localhost for a loopback listener.
     */
    public static boolean reaches(String backendHost, String listenHost) {
        String b = normalize(backendHost);
        String l = normalize(listenHost);
        if (b.equals(l)) {
            return true;
        }
        if (isWildcard(l)) {
            return isLoopback(b) || isWildcard(b);
        }
        return b.equals("localhost") && (l.equals("127.0.0.1") || l.equals("::1"));
    }

    private static String normalize(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") && h.length() > 1 ? h.substring(0, h.length() - 1) : h;
    }
}
