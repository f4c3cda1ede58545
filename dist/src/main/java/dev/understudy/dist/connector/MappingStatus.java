package dev.understudy.dist.connector;

/**
 * What the connector does for one mapping right now.
 *
 * @param id                the mapping id
 * @param listenHost        the configured listen host
 * @param listenPort        the configured listen port
 * @param boundPort         the port actually bound (equals {@code listenPort} unless that was 0), or -1 when not bound
 * @param backendHost       the backend new connections go to
 * @param backendPort       the backend port new connections go to
 * @param bound             whether the listen socket is open
 * @param error             why the listen socket could not be opened, or null
 * @param activeConnections client connections currently open on this mapping
 */
public record MappingStatus(
        String id,
        String listenHost,
        int listenPort,
        int boundPort,
        String backendHost,
        int backendPort,
        boolean bound,
        String error,
        long activeConnections) {
}
