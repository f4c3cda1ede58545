package dev.understudy.ha.message;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One chunk of a full transfer of the configuration: the snapshot's JSON bytes split into
 * chunks. The shadow installs it once the last chunk arrives and the reassembled document has
 * {@code hash}; it shows progress from {@code totalBytes}.
 */
public record FullSync(
        @JsonProperty("epoch") long epoch,
        @JsonProperty("transferId") long transferId,
        @JsonProperty("revision") long revision,
        @JsonProperty("hash") String hash,
        @JsonProperty("chunk") int chunk,
        @JsonProperty("chunks") int chunks,
        @JsonProperty("totalBytes") long totalBytes,
        @JsonProperty("reason") String reason,
        @JsonProperty("data") byte[] data) implements HaMessage {

    @Override
    public MessageType type() {
        return MessageType.FULL_SYNC;
    }

    @JsonIgnore
    public boolean last() {
        return chunk == chunks - 1;
    }

    @Override
    public String toString() {
        return "FullSync[epoch=" + epoch + ", transferId=" + transferId + ", revision=" + revision + ", chunk=" + chunk
                + "/" + chunks + ", totalBytes=" + totalBytes + ", reason=" + reason + "]";
    }
}
