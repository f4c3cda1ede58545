package dev.understudy.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.json.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The order-independent, incremental configuration hash: the sum modulo 2^256 of SHA-256 over
 * each canonical entry ({@code collection \n id \n canonical-json(value)}). Adding or removing an
 * entry is O(1); two documents with the same entries have the same hash whatever order they were
 * built in. Mutable; not thread-safe.
 */
public final class ConfigHash {

    /** Hash of the empty document. */
    public static final String EMPTY = new ConfigHash().toHex();

    // four 64-bit limbs, most significant first
    private final long[] limbs = new long[4];

    public ConfigHash() {}

    public ConfigHash copy() {
        ConfigHash c = new ConfigHash();
        System.arraycopy(limbs, 0, c.limbs, 0, 4);
        return c;
    }

    public void add(ConfigCollection collection, String id, JsonNode value) {
        addDigest(entryDigest(collection, id, value), false);
    }

    public void remove(ConfigCollection collection, String id, JsonNode value) {
        addDigest(entryDigest(collection, id, value), true);
    }

    static byte[] entryDigest(ConfigCollection collection, String id, JsonNode value) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(collection.wireName().getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
            md.update(id.getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
            md.update(Json.canonical(value));
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    private void addDigest(byte[] digest, boolean subtract) {
        long[] d = new long[4];
        for (int i = 0; i < 4; i++) {
            long v = 0;
            for (int b = 0; b < 8; b++) {
                v = (v << 8) | (digest[i * 8 + b] & 0xFF);
            }
            d[i] = v;
        }
        if (subtract) {
            // two's complement: invert and add one, so subtracting is adding
            for (int i = 0; i < 4; i++) {
                d[i] = ~d[i];
            }
            addLimbs(d);
            addLimbs(new long[] {0, 0, 0, 1});
        } else {
            addLimbs(d);
        }
    }

    private void addLimbs(long[] d) {
        long carry = 0;
        for (int i = 3; i >= 0; i--) {
            long a = limbs[i];
            long sum = a + d[i] + carry;
            // unsigned overflow detection
            carry = (Long.compareUnsigned(sum, a) < 0 || (carry == 1 && sum == a)) ? 1 : 0;
            limbs[i] = sum;
        }
    }

    /** 64 lowercase hex digits. */
    public String toHex() {
        StringBuilder sb = new StringBuilder(64);
        HexFormat hex = HexFormat.of();
        for (long l : limbs) {
            sb.append(hex.toHexDigits(l));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return toHex();
    }
}
