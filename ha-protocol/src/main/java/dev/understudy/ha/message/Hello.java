package dev.understudy.ha.message;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * First message each way after the TLS handshake. The shadow sends it first; the master answers
 * with its own HELLO or a BYE with the reason for refusing.
 *
 * @param haAddress       where the sender's HA port can be reached (host:port), for role switches
 * @param user            pairing only: the master's admin user; absent on later connects
 * @param password        pairing only: that user's password; never logged nor stored
 * @param adminPort       the master's admin (HTTPS) port, so a shadow can point refused writes to it; absent
 *                        from shadows and older masters
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Hello(
        @JsonProperty("nodeId") String nodeId,
        @JsonProperty("role") String role,
        @JsonProperty("state") String state,
        @JsonProperty("epoch") long epoch,
        @JsonProperty("revision") long revision,
        @JsonProperty("hash") String hash,
        @JsonProperty("softwareVersion") String softwareVersion,
        @JsonProperty("protocolVersion") int protocolVersion,
        @JsonProperty("haAddress") String haAddress,
        @JsonProperty("user") String user,
        @JsonProperty("password") String password,
        @JsonProperty("adminPort") Integer adminPort) implements HaMessage {

    /** A HELLO without an admin port (every sender but a master answering its shadow). */
    public Hello(String nodeId, String role, String state, long epoch, long revision, String hash, String softwareVersion,
                 int protocolVersion, String haAddress, String user, String password) {
        this(nodeId, role, state, epoch, revision, hash, softwareVersion, protocolVersion, haAddress, user, password, null);
    }

    @Override
    public MessageType type() {
        return MessageType.HELLO;
    }

    /** A copy without credentials, safe to log. */
    public Hello redacted() {
        return new Hello(nodeId, role, state, epoch, revision, hash, softwareVersion, protocolVersion, haAddress,
                user, password == null ? null : "***", adminPort);
    }

    @Override
    public String toString() {
        return "Hello[nodeId=" + nodeId + ", role=" + role + ", state=" + state + ", epoch=" + epoch + ", revision="
                + revision + ", hash=" + hash + ", softwareVersion=" + softwareVersion + ", protocolVersion="
                + protocolVersion + ", haAddress=" + haAddress + ", pairing=" + (user != null) + ", adminPort=" + adminPort + "]";
    }
}
