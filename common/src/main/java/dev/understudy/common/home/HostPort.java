package dev.understudy.common.home;

/** A {@code host:port} address ({@code [v6]:port} for IPv6 literals). */
public record HostPort(String host, int port) {

    private static final java.util.regex.Pattern HOST = java.util.regex.Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9._-]{0,252})");
    private static final java.util.regex.Pattern IPV6 = java.util.regex.Pattern.compile("[0-9A-Fa-f:.]{2,45}(%[A-Za-z0-9._-]{1,32})?");

    public static HostPort parse(String s) {
        if (s == null) {
            throw new IllegalArgumentException("address: missing (expected: host:port)");
        }
        int i = s.lastIndexOf(':');
        if (i <= 0 || i == s.length() - 1) {
            throw new IllegalArgumentException("address: " + s + " (expected: host:port)");
        }
        String host = s.substring(0, i);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
            if (!IPV6.matcher(host).matches()) {
                throw new IllegalArgumentException("address: " + s + " (expected: [IPv6]:port)");
            }
        } else if (!HOST.matcher(host).matches() && !(host.indexOf(':') >= 0 && IPV6.matcher(host).matches())) {
            // a bare IPv6 literal is still read (its last ':' ends it); anything else must be a host name or IPv4
            throw new IllegalArgumentException("address: " + s + " (expected: host:port, host a name, IPv4 or [IPv6])");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(i + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("address: " + s + " (expected: host:port with a numeric port)");
        }
        if (port < 1 || port > 65535 || host.isBlank()) {
            throw new IllegalArgumentException("address: " + s + " (expected: host:port with port 1..65535)");
        }
        return new HostPort(host, port);
    }

    public static boolean isValid(String s) {
        try {
            parse(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
