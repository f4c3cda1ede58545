package dev.understudy.dist.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.PasswordHasher;
import dev.understudy.common.store.ConfigStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks an {@code Authorization} header: {@code Bearer <admin.token>} (constant-time compare) or
 * HTTP basic with an admin user of the replicated {@code users} collection.
 *
 * <p>PBKDF2 is deliberately slow (about half a second), so a successful basic check is cached under
 * SHA-256(user, password) together with the stored hash it matched: a changed or deleted user's hash
 * no longer matches, and the entry is ignored. Neither passwords nor tokens are kept or logged.
 */
final class Authenticator {

    /** Bounds the cache; a full cache is simply dropped (it only saves time). */
    static final int MAX_CACHED = 256;

    private final byte[] token;
    private final ConfigStore store;
    private final Map<String, String> verified = new ConcurrentHashMap<>();

    Authenticator(String adminToken, ConfigStore store) {
        this.token = adminToken.getBytes(StandardCharsets.UTF_8);
        this.store = store;
    }

    /** True when {@code header} (may be null) carries valid credentials. */
    boolean authenticate(String header) {
        if (header == null) {
            return false;
        }
        int sp = header.indexOf(' ');
        if (sp <= 0) {
            return false;
        }
        String scheme = header.substring(0, sp);
        String credentials = header.substring(sp + 1).trim();
        if (scheme.equalsIgnoreCase("Bearer")) {
            return MessageDigest.isEqual(token, credentials.getBytes(StandardCharsets.UTF_8));
        }
        if (scheme.equalsIgnoreCase("Basic")) {
            return basic(credentials);
        }
        return false;
    }

    private boolean basic(String encoded) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            return false;
        }
        String pair = new String(raw, StandardCharsets.UTF_8);
        Arrays.fill(raw, (byte) 0);
        int colon = pair.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        String user = pair.substring(0, colon);
        char[] password = pair.substring(colon + 1).toCharArray();
        try {
            String stored = store.read(doc -> {
                JsonNode u = doc.get(ConfigCollection.USERS, user);
                return u == null ? null : u.path("passwordHash").asText(null);
            });
            if (stored == null) {
                return false;
            }
            String key = cacheKey(pair);
            if (stored.equals(verified.get(key))) {
                return true;
            }
            if (!PasswordHasher.verify(password, stored)) {
                return false;
            }
            if (verified.size() >= MAX_CACHED) {
                verified.clear();
            }
            verified.put(key, stored);
            return true;
        } finally {
            PasswordHasher.wipe(password);
        }
    }

    private static String cacheKey(String userColonPassword) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(d.digest(userColonPassword.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
