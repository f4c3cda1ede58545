package dev.understudy.master.replication;

import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.ha.message.FullSync;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Splits a snapshot into the FULL_SYNC chunks of one transfer. */
public final class FullTransfer {

    /** Bytes of snapshot JSON per chunk. */
    public static final int CHUNK_BYTES = 1 << 20;

    private FullTransfer() {}

    public static List<FullSync> chunks(long epoch, long transferId, ConfigStore.Snapshot snap, String reason,
                                        int chunkBytes) {
        byte[] bytes = Json.toBytes(snap.document().toJson());
        int chunks = Math.max(1, (bytes.length + chunkBytes - 1) / chunkBytes);
        List<FullSync> out = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            int from = c * chunkBytes;
            byte[] data = Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + chunkBytes));
            out.add(new FullSync(epoch, transferId, snap.revision(), snap.hash(), c, chunks, bytes.length, reason, data));
        }
        return out;
    }
}
